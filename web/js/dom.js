// Keyed DOM updates: make a container's children match a list of row
// descriptions (see view-model.js), touching only rows that changed. A
// cell with an href holds a link.

const rowCaches = new WeakMap();    /* container -> Map(key -> {el, sig}) */
const actionSigs = new WeakMap();   /* actions cell -> its actions, as JSON */

// Make `container`'s children the rows, in order. Options: keyAttr (the
// attribute holding the key, e.g. data-worker-id), rowTag ('tr' or 'li'),
// cellTag ('td' or 'span'), rowHeader (first cell a <th scope="row">),
// actions (an extra cell holding the row's buttons), roles (ARIA row and
// cell roles, which keep a table a table for screen readers when a
// narrow card shows its rows as blocks).
export function syncRows(container, rows, opts) {
  let cache = rowCaches.get(container);
  if (cache === undefined) {
    cache = new Map();
    rowCaches.set(container, cache);
  }
  const wanted = new Set();
  const unique = [];
  for (const row of rows)
    if (!wanted.has(row.key)) {
      wanted.add(row.key);
      unique.push(row);
    }
  let lostFocus = false;
  const drop = (el) => {
    lostFocus ||= el.contains(container.ownerDocument.activeElement);
    cache.delete(el.getAttribute(opts.keyAttr));
    el.remove();
  };
  let cursor = container.firstElementChild;
  for (const row of unique) {
    while (cursor !== null && !wanted.has(cursor.getAttribute(opts.keyAttr))) {
      const next = cursor.nextElementSibling;
      drop(cursor);
      cursor = next;
    }
    let entry = cache.get(row.key);
    if (entry === undefined) {
      const el = container.ownerDocument.createElement(opts.rowTag);
      el.setAttribute(opts.keyAttr, row.key);
      if (opts.roles)
        el.setAttribute('role', 'row');
      entry = { el, sig: '' };
      cache.set(row.key, entry);
    }
    const sig = JSON.stringify(row);
    if (entry.sig !== sig) {
      updateRow(entry.el, row, opts);
      entry.sig = sig;
    }
    if (entry.el === cursor)
      cursor = cursor.nextElementSibling;
    else
      container.insertBefore(entry.el, cursor);
  }
  while (cursor !== null) {
    const next = cursor.nextElementSibling;
    drop(cursor);
    cursor = next;
  }
  if (lostFocus)
    container.closest('[tabindex]')?.focus();
}

// Bring one row's cells up to date, changing only what differs; the action
// buttons are rebuilt only when the set of actions changed, so keyboard
// focus stays on a button whose row merely changed its text.
function updateRow(el, row, opts) {
  const doc = el.ownerDocument;
  const want = row.cells.length + (opts.actions ? 1 : 0);
  if (el.children.length !== want) {
    el.replaceChildren();
    row.cells.forEach((cell, i) => {
      const header = opts.rowHeader && i === 0;
      const c = doc.createElement(header ? 'th' : opts.cellTag);
      if (header)
        c.setAttribute('scope', 'row');
      if (opts.roles)
        c.setAttribute('role', header ? 'rowheader' : 'cell');
      c.setAttribute('data-testid', cell.name);
      el.append(c);
    });
    if (opts.actions) {
      const c = doc.createElement(opts.cellTag);
      c.setAttribute('data-testid', 'actions');
      if (opts.roles)
        c.setAttribute('role', 'cell');
      c.className = 'actions';
      el.append(c);
    }
  }
  row.cells.forEach((cell, i) => {
    const c = el.children[i];
    if (cell.href !== undefined)
      setLink(c, cell.text, cell.href);
    else if (c.textContent !== cell.text)
      c.textContent = cell.text;
    if (cell.status !== undefined && c.getAttribute('data-status') !== cell.status)
      c.setAttribute('data-status', cell.status);
  });
  if (opts.actions) {
    const c = el.children[row.cells.length];
    const sig = JSON.stringify(row.actions);
    if (actionSigs.get(c) !== sig) {
      actionSigs.set(c, sig);
      c.replaceChildren(...row.actions.map((a) => {
        const b = doc.createElement('button');
        b.type = 'button';
        b.setAttribute('data-action', a.action);
        b.setAttribute('aria-label', a.ariaLabel);
        b.textContent = a.label;
        return b;
      }));
    }
  }
}

// Make a cell hold one link, <a href>text</a>.
function setLink(cell, text, href) {
  let a = cell.firstElementChild;
  if (a === null || a.tagName !== 'A' || cell.childNodes.length !== 1) {
    a = cell.ownerDocument.createElement('a');
    cell.replaceChildren(a);
  }
  if (a.getAttribute('href') !== href)
    a.setAttribute('href', href);
  if (a.textContent !== text)
    a.textContent = text;
}

// Make a <select>'s options [{value, label}] and choose `value` (the first
// option when it has none such); untouched when nothing changed.
export function setOptions(select, options, value) {
  const sig = JSON.stringify(options);
  if (select.getAttribute('data-options') !== sig) {
    select.replaceChildren(...options.map((o) => {
      const el = select.ownerDocument.createElement('option');
      el.value = o.value;
      el.textContent = o.label;
      return el;
    }));
    select.setAttribute('data-options', sig);
  }
  const want = options.some((o) => o.value === value) ? value :
    options[0]?.value ?? '';
  if (select.value !== want)
    select.value = want;
}

// Call handler(action, key) when a row's button is pressed.
export function onRowAction(container, keyAttr, handler) {
  container.addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-action]');
    const row = button?.closest(`[${keyAttr}]`);
    if (row && container.contains(row))
      handler(button.getAttribute('data-action'), row.getAttribute(keyAttr));
  });
}

// Set an element's text if it changed.
export function setText(el, text) {
  if (el !== null && el.textContent !== text)
    el.textContent = text;
}
