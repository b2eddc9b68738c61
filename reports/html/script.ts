// The page's only script, inline and allowed by its sha256 in the Content-Security-Policy: sorting and
// filtering of tables marked `data-sortable`. Without it (a mail client that drops scripts) the tables
// stay readable in their printed order and the filter controls stay hidden.
//
// Plain ES2017 in a string: it runs in the reader's browser, not in Node, and reads only the DOM.

export const PAGE_SCRIPT = `(function () {
  'use strict';
  function sortKey(row, column, numeric) {
    var cell = row.cells[column];
    if (!cell) return numeric ? null : '';
    var raw = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
    if (!numeric) return (raw || '').trim().toLowerCase();
    if (raw === null || raw === '') return null;
    var value = parseFloat(raw);
    return isNaN(value) ? null : value;
  }
  function compare(a, b, numeric) {
    if (a === b) return 0;
    // Empty cells sort last in either direction: handled by the caller.
    if (numeric) return a < b ? -1 : 1;
    return a.localeCompare(b, 'en', { numeric: true });
  }
  function setUpSorting(table) {
    var body = table.tBodies[0];
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, index) { row.setAttribute('data-order', String(index)); });
    headers.forEach(function (header, column) {
      var button = header.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        var ascending = header.getAttribute('aria-sort') !== 'ascending';
        var numeric = header.getAttribute('data-type') === 'number';
        headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
        header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var sorted = Array.prototype.slice.call(body.rows).sort(function (x, y) {
          var a = sortKey(x, column, numeric);
          var b = sortKey(y, column, numeric);
          var order = Number(x.getAttribute('data-order')) - Number(y.getAttribute('data-order'));
          if (a === null || a === '') return b === null || b === '' ? order : 1;
          if (b === null || b === '') return -1;
          var result = compare(a, b, numeric);
          return (ascending ? result : -result) || order;
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  function setUpFilters(controls) {
    var table = document.getElementById(controls.getAttribute('data-for'));
    if (!table) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(controls.querySelectorAll('select'));
    var count = controls.querySelector('[data-count]');
    var noun = controls.getAttribute('data-noun') || 'rows';
    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var visible = selects.every(function (select) {
          if (!select.value) return true;
          var value = row.getAttribute('data-' + select.name) || '';
          // Multi-valued attributes (severities, categories) hold space-separated tokens; others one value.
          var values = select.hasAttribute('data-multi') ? value.split(' ') : [value];
          return values.indexOf(select.value) !== -1;
        });
        row.hidden = !visible;
        if (visible) shown += 1;
      });
      if (count) count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' ' + noun;
    }
    selects.forEach(function (select) { select.addEventListener('change', apply); });
    var reset = controls.querySelector('button[type="reset"]');
    if (reset) reset.addEventListener('click', function (event) {
      event.preventDefault();
      selects.forEach(function (select) { select.value = ''; });
      apply();
    });
    controls.hidden = false;
    apply();
  }
  Array.prototype.slice.call(document.querySelectorAll('table[data-sortable]')).forEach(setUpSorting);
  Array.prototype.slice.call(document.querySelectorAll('form[data-for]')).forEach(setUpFilters);
})();
`;
