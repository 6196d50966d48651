// The source of memstats_test_pch (tests/CMakeLists.txt), the target that
// makes the tests' precompiled header; nothing links it.
