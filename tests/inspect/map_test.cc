// The Hilbert curve and the picture's layout and colours (inspect/map.h).
#include "inspect/map.h"

#include <cstdlib>
#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace memstats::inspect {
namespace {

// d -> (x, y) visits every point of the square exactly once, consecutive
// points are neighbours (one step in x or in y), and the curve runs from
// the top-left corner to the top-right one.
TEST(HilbertTest, BijectionAndAdjacencyOnSmallOrders) {
  for (int order = 0; order <= 6; ++order) {
    const uint64_t side = uint64_t{1} << order;
    std::set<std::pair<uint32_t, uint32_t>> seen;
    Point prev{};
    for (uint64_t d = 0; d < side * side; ++d) {
      const Point p = HilbertPoint(order, d);
      ASSERT_LT(p.x, side) << "order " << order << " d " << d;
      ASSERT_LT(p.y, side) << "order " << order << " d " << d;
      ASSERT_TRUE(seen.emplace(p.x, p.y).second)
          << "order " << order << " visits (" << p.x << "," << p.y
          << ") twice";
      if (d > 0) {
        const int dx = std::abs(static_cast<int>(p.x) - static_cast<int>(prev.x));
        const int dy = std::abs(static_cast<int>(p.y) - static_cast<int>(prev.y));
        ASSERT_EQ(dx + dy, 1) << "order " << order << " d " << d;
      }
      prev = p;
    }
    EXPECT_EQ(seen.size(), side * side);
    EXPECT_EQ(HilbertPoint(order, 0).x, 0u);
    EXPECT_EQ(HilbertPoint(order, 0).y, 0u);
    EXPECT_EQ(HilbertPoint(order, side * side - 1).x, side - 1);
    EXPECT_EQ(HilbertPoint(order, side * side - 1).y, 0u);
  }
}

// Order 1 by hand: (0,0) (0,1) (1,1) (1,0), a U open at the top.
TEST(HilbertTest, OrderOneByHand) {
  const Point want[] = {{0, 0}, {0, 1}, {1, 1}, {1, 0}};
  for (uint64_t d = 0; d < 4; ++d) {
    EXPECT_EQ(HilbertPoint(1, d).x, want[d].x) << d;
    EXPECT_EQ(HilbertPoint(1, d).y, want[d].y) << d;
  }
}

// Squares of side 2^order side by side: the largest side whose square holds
// no more than the pixels, then as many squares as needed (1 to 4).
TEST(LayoutTest, Squares) {
  struct Case {
    uint64_t pixels;
    int order;
    uint32_t squares, width, height;
  };
  const Case cases[] = {
      {1, 0, 1, 1, 1},
      {4, 1, 1, 2, 2},
      {5, 1, 2, 4, 2},
      {128, 3, 2, 16, 8},   // the fixture at --scale 4
      {512, 4, 2, 32, 16},  // the fixture: PFNs 0-0x1ff
      {1023, 4, 4, 64, 16},
      {6553600, 11, 2, 4096, 2048},  // 25 GiB of PFNs
  };
  for (const Case& c : cases) {
    const MapLayout l = LayoutFor(c.pixels);
    EXPECT_EQ(l.order, c.order) << c.pixels;
    EXPECT_EQ(l.squares, c.squares) << c.pixels;
    EXPECT_EQ(l.width, c.width) << c.pixels;
    EXPECT_EQ(l.height, c.height) << c.pixels;
  }
}

// Across squares the curve continues between neighbouring pixels, and no
// pixel is drawn twice.
TEST(LayoutTest, CurveCrossesSquaresAdjacently) {
  const MapLayout l = LayoutFor(3 * 64 + 10);  // order 3, 4 squares
  ASSERT_EQ(l.squares, 4u);
  std::set<std::pair<uint32_t, uint32_t>> seen;
  Point prev{};
  for (uint64_t d = 0; d < l.pixels; ++d) {
    const Point p = PixelAt(l, d);
    ASSERT_LT(p.x, l.width);
    ASSERT_LT(p.y, l.height);
    ASSERT_TRUE(seen.emplace(p.x, p.y).second) << d;
    if (d > 0) {
      const int dx = std::abs(static_cast<int>(p.x) - static_cast<int>(prev.x));
      const int dy = std::abs(static_cast<int>(p.y) - static_cast<int>(prev.y));
      ASSERT_EQ(dx + dy, 1) << d;
    }
    prev = p;
  }
}

// Every class of a map with many groups has its own colour, none of them
// the background's; the first ten groups get the fixed palette.
TEST(ColoursTest, DistinctAndDeterministic) {
  const std::vector<Rgb> colours = ClassColours(2000);
  ASSERT_EQ(colours.size(), 2000u + 7);  // 7 fixed classes after the groups
  std::set<uint32_t> seen;
  for (const Rgb& c : colours) {
    const uint32_t packed = (c.r << 16) | (c.g << 8) | c.b;
    EXPECT_TRUE(seen.insert(packed).second)
        << int{c.r} << "," << int{c.g} << "," << int{c.b};
    EXPECT_FALSE(c == kBackground);
  }
  EXPECT_EQ(colours[0], (Rgb{31, 119, 180}));
  EXPECT_EQ(colours[9], (Rgb{174, 199, 232}));
  EXPECT_EQ(ClassColours(2000)[1234], colours[1234]);
  // The fixed classes keep their colours whatever the number of groups.
  EXPECT_EQ(ClassColours(0)[0], colours[2000]);
}

}  // namespace
}  // namespace memstats::inspect
