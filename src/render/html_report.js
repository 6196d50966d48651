// The memstats HTML report's script (render/html_report.h): reads the
// views from #data, fills #view and #sample, and on a choice of view or
// sample shows that view's chart, a marker line at the sample and the
// sample's table. Plain ES2017, no libraries: the page works offline.
(function () {
  'use strict';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const data = JSON.parse(document.getElementById('data').textContent);
  const viewSelect = document.getElementById('view');
  const sampleSelect = document.getElementById('sample');
  const slider = document.getElementById('slider');
  const timeHeading = document.getElementById('time');
  const table = document.getElementById('table');
  const charts = Array.from(document.querySelectorAll('#chart .chart-view'));
  let view = 0;
  let sample = -1;

  // Cells right-aligned: numbers, and text such as "120.0 MiB", "-4K", "12%".
  const NUMERIC = /^[-+]?\d[\d.,]*\s*([KMGTPE]i?B?|B|%)?$/;

  function sampleLabel(v, i) {
    const t = v.tables[i];
    if (t && t.time !== undefined && t.time !== null) return String(t.time);
    return v.seconds[i] + ' s';
  }

  function nearest(values, x) {
    let best = -1;
    let distance = Infinity;
    values.forEach(function (value, i) {
      const d = Math.abs(value - x);
      if (d < distance) {
        distance = d;
        best = i;
      }
    });
    return best;
  }

  function cellText(c) {
    return c === null || c === undefined ? '' : String(c);
  }

  function addRow(section, cells, tag) {
    const tr = section.insertRow();
    (cells || []).forEach(function (c) {
      const cell = document.createElement(tag);
      cell.textContent = cellText(c);  // text, never markup
      if (typeof c === 'number' || NUMERIC.test(cellText(c))) {
        cell.className = 'num';
      }
      tr.appendChild(cell);
    });
  }

  function showTable(v, i) {
    table.textContent = '';
    if (i < 0) {
      timeHeading.textContent = 'no samples';
      return;
    }
    const t = v.tables[i];
    if (!t) {
      timeHeading.textContent = sampleLabel(v, i) + ': no table';
      return;
    }
    timeHeading.textContent = sampleLabel(v, i);
    addRow(table.createTHead(), t.columns, 'th');
    const body = table.createTBody();
    (t.rows || []).forEach(function (r) { addRow(body, r, 'td'); });
    if (t.footer) addRow(table.createTFoot(), t.footer, 'td');
    // A header over a column of numbers is right-aligned with them.
    const first = body.rows[0];
    Array.from(table.tHead.rows[0].cells).forEach(function (th, k) {
      if (first && first.cells[k] && first.cells[k].className === 'num') {
        th.className = 'num';
      }
    });
  }

  function drawMarker(v, i) {
    const svg = charts[view] && charts[view].querySelector('svg');
    if (!svg) return;
    let line = svg.querySelector('line.marker');
    if (i < 0) {
      if (line) line.remove();
      return;
    }
    if (!line) {
      line = document.createElementNS(SVG_NS, 'line');
      line.setAttribute('class', 'marker');
      line.setAttribute('stroke', '#d00');
      line.setAttribute('stroke-width', '1.5');
      line.setAttribute('stroke-dasharray', '4 3');
      line.setAttribute('pointer-events', 'none');
      svg.appendChild(line);
    }
    line.setAttribute('x1', v.xs[i]);
    line.setAttribute('x2', v.xs[i]);
    line.setAttribute('y1', v.plot[1]);
    line.setAttribute('y2', v.plot[3]);
  }

  function choose(i) {
    const v = data.views[view];
    sample = Math.min(i, v.seconds.length - 1);
    if (sample >= 0) {
      sampleSelect.value = String(sample);
      slider.value = String(sample);
    }
    drawMarker(v, sample);
    showTable(v, sample);
    document.body.setAttribute('data-sample', String(sample));
  }

  // Shows view i at the sample nearest `seconds` (its last one when null).
  function showView(i, seconds) {
    view = i;
    viewSelect.value = String(i);
    charts.forEach(function (c, k) { c.hidden = k !== i; });
    const v = data.views[i];
    sampleSelect.textContent = '';
    v.seconds.forEach(function (s, k) {
      sampleSelect.add(new Option(sampleLabel(v, k), String(k)));
    });
    slider.max = String(Math.max(0, v.seconds.length - 1));
    sampleSelect.disabled = slider.disabled = v.seconds.length === 0;
    choose(seconds === null ? v.seconds.length - 1 : nearest(v.seconds, seconds));
  }

  function currentSeconds() {
    const v = data.views[view];
    return sample >= 0 ? v.seconds[sample] : null;
  }

  if (data.views.length === 0) {
    timeHeading.textContent = 'no views';
    return;
  }
  data.views.forEach(function (v, i) {
    viewSelect.add(new Option(v.label, String(i)));
  });
  viewSelect.addEventListener('change', function () {
    showView(Number(viewSelect.value), currentSeconds());
  });
  sampleSelect.addEventListener('change', function () {
    choose(Number(sampleSelect.value));
  });
  slider.addEventListener('input', function () {
    choose(Number(slider.value));
  });
  // A click anywhere on the chart picks the sample nearest its x, in the
  // SVG's own coordinates (the page may scale the SVG).
  document.getElementById('chart').addEventListener('click', function (ev) {
    const svg = charts[view] && charts[view].querySelector('svg');
    const v = data.views[view];
    if (!svg || v.xs.length === 0) return;
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX;
    pt.y = ev.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    choose(nearest(v.xs, p.x));
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.target instanceof HTMLSelectElement || ev.target === slider) return;
    if (ev.key === 'ArrowLeft' && sample > 0) choose(sample - 1);
    if (ev.key === 'ArrowRight') choose(sample + 1);
  });

  showView(0, null);
  if (data.initial !== null) choose(Math.max(0, data.initial));
  document.body.setAttribute('data-ready', '1');
})();
