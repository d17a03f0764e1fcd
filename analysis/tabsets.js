// Tabsets of the fallback renderer (Quarto has its own). Pandoc writes every tab of a
// `::: {.panel-tabset}` as a headed <section>; this script turns them into tabs following the
// WAI-ARIA Authoring Practices (roles, aria-selected, roving tabindex, arrow/Home/End keys).
// Without script, and in print, every tab stays visible as a subsection.
(function () {
  "use strict";
  document.querySelectorAll("div.panel-tabset").forEach(function (set) {
    var panes = Array.prototype.filter.call(set.children, function (c) { return c.tagName === "SECTION"; });
    if (panes.length < 2) { return; }
    var list = document.createElement("div");
    list.setAttribute("role", "tablist");
    var section = set.closest("section");  // name the tab list after its chapter ("Werk en dagbesteding: …")
    var title = section ? section.querySelector("h1, h2, h3") : null;
    list.setAttribute("aria-label", (title ? title.textContent.trim() + ": " : "") + "tabbladen");
    var tabs = panes.map(function (pane) {
      var heading = pane.querySelector("h1, h2, h3, h4, h5, h6");
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = pane.id + "-tab";
      tab.textContent = heading ? heading.textContent : pane.id;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", pane.id);
      pane.setAttribute("role", "tabpanel");
      pane.setAttribute("aria-labelledby", tab.id);
      pane.tabIndex = 0;
      if (heading) { heading.classList.add("visually-hidden"); }
      list.appendChild(tab);
      return tab;
    });
    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        panes[i].hidden = !on;
      });
      if (focus) { tabs[index].focus(); }
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey) { return; }  // leave browser shortcuts alone
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        select((next + tabs.length) % tabs.length, true);
      });
    });
    set.insertBefore(list, set.firstChild);
    set.classList.add("tabs-ready");
    select(0, false);
  });
})();
