/*
 * Suggestions as you type, for every search box marked data-suggest (views/partials/search-form.hbs).
 * Progressive enhancement: without this script the form submits as before. CSP-clean: no inline
 * code, no eval, DOM APIs only, and data is only ever written with textContent.
 *
 * WAI-ARIA 1.2 combobox (list autocomplete): the input gets role=combobox, aria-expanded,
 * aria-controls and aria-activedescendant; the list is a listbox of options. ArrowDown/ArrowUp
 * move, Enter opens the active option (or submits the form when none is active), Escape closes.
 * Requests wait 120 ms after the last key and a newer one aborts the older (AbortController).
 *
 * Also: the filters toggle on result pages (details[data-wide-open]) starts open on wide screens.
 */
(function () {
  'use strict';

  var DEBOUNCE_MS = 120;
  var TEXT = {
    zh: { brand: '品牌', product: '产品', certificate: '证书', label: '搜索建议', count: '有 {n} 条建议，可用上下方向键选择' },
    en: { brand: 'Brand', product: 'Product', certificate: 'Certificate', label: 'Suggestions', count: '{n} suggestions; use the up and down arrow keys' },
  };

  /** Only same-origin paths are followed (a response can never send the visitor elsewhere). */
  function safeHref(href) {
    return typeof href === 'string' && href.charAt(0) === '/' && href.charAt(1) !== '/' && href.charAt(1) !== '\\' ? href : null;
  }

  function enhance(input) {
    var endpoint = input.getAttribute('data-suggest');
    var lang = input.getAttribute('data-suggest-lang') === 'en' ? 'en' : 'zh';
    var text = TEXT[lang];
    var form = input.form;
    var listId = (input.id || 'search') + '-suggestions';
    var row = input.parentNode;

    var list = document.createElement('ul');
    list.id = listId;
    list.className = 'suggestions';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', text.label);
    list.hidden = true;
    row.appendChild(list);

    var status = document.createElement('p');
    status.className = 'visually-hidden';
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    row.appendChild(status);

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', listId);

    var items = [];
    var active = -1;
    var timer = 0;
    var controller = null;
    var lastQuery = '';

    function setActive(i) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
      active = i;
      if (active >= 0 && options[active]) {
        options[active].setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', options[active].id);
        if (options[active].scrollIntoView) options[active].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
    }

    function open() {
      if (!items.length) return close();
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    function go(i) {
      var href = items[i] && safeHref(items[i].href);
      if (!href) return false;
      close();
      window.location.assign(href);
      return true;
    }

    function render(newItems) {
      items = newItems;
      active = -1;
      input.removeAttribute('aria-activedescendant');
      while (list.firstChild) list.removeChild(list.firstChild);
      items.forEach(function (item, i) {
        var li = document.createElement('li');
        li.id = listId + '-' + i;
        li.className = 'suggestion suggestion-' + item.type;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var label = document.createElement('span');
        label.className = 'suggestion-label';
        label.textContent = item.label;
        var type = document.createElement('span');
        type.className = 'suggestion-type';
        type.textContent = text[item.type] || '';
        li.appendChild(label);
        li.appendChild(type);
        if (item.detail) {
          var detail = document.createElement('span');
          detail.className = 'suggestion-detail';
          detail.textContent = item.detail;
          li.appendChild(detail);
        }
        list.appendChild(li);
      });
      status.textContent = items.length ? text.count.replace('{n}', String(items.length)) : '';
      if (items.length && document.activeElement === input) open();
      else close();
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) return open();
      lastQuery = q;
      if (controller) controller.abort();
      controller = null;
      if (!q || q.length > 50) return render([]);
      controller = typeof AbortController === 'function' ? new AbortController() : null;
      var target = endpoint + '?q=' + encodeURIComponent(q) + (lang === 'en' ? '&lang=en' : '');
      fetch(target, { headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: controller ? controller.signal : undefined })
        .then(function (res) {
          return res.ok ? res.json() : { items: [] };
        })
        .then(function (body) {
          if (input.value.trim() !== q) return;
          var received = body && Array.isArray(body.items) ? body.items : [];
          render(
            received.filter(function (x) {
              return x && typeof x.label === 'string' && safeHref(x.href);
            }),
          );
        })
        .catch(function (err) {
          if (err && err.name === 'AbortError') return;
          render([]);
        });
    }

    input.addEventListener('input', function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    input.addEventListener('keydown', function (e) {
      var expanded = !list.hidden;
      if (e.key === 'ArrowDown' || e.key === 'Down') {
        if (!items.length) return;
        e.preventDefault();
        if (!expanded) open();
        setActive(active + 1 >= items.length ? 0 : active + 1);
      } else if (e.key === 'ArrowUp' || e.key === 'Up') {
        if (!items.length) return;
        e.preventDefault();
        if (!expanded) open();
        setActive(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === 'Enter') {
        if (expanded && active >= 0 && go(active)) e.preventDefault();
      } else if (e.key === 'Escape' || e.key === 'Esc') {
        if (expanded) {
          e.preventDefault();
          close();
        }
      }
    });

    input.addEventListener('blur', function () {
      close();
    });
    input.addEventListener('focus', function () {
      if (items.length && input.value.trim() === lastQuery) open();
    });

    // Keep the focus in the input while an option is pressed, then follow it.
    list.addEventListener('mousedown', function (e) {
      e.preventDefault();
    });
    list.addEventListener('click', function (e) {
      var li = e.target && e.target.closest ? e.target.closest('[role="option"]') : null;
      if (!li) return;
      var i = Array.prototype.indexOf.call(list.children, li);
      if (i >= 0) go(i);
    });

    if (form) {
      form.addEventListener('submit', function () {
        window.clearTimeout(timer);
        if (controller) controller.abort();
        close();
      });
    }
  }

  function openFiltersOnWideScreens() {
    if (!window.matchMedia || !window.matchMedia('(min-width: 48rem)').matches) return;
    var panels = document.querySelectorAll('details[data-wide-open]');
    for (var i = 0; i < panels.length; i++) panels[i].open = true;
  }

  function init() {
    var inputs = document.querySelectorAll('input[data-suggest]');
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i]);
    openFiltersOnWideScreens();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
