// Keyboard work: every shortcut is an element that says so (data-key="n"), so the page
// shows what a key does and works the same with the mouse or without JavaScript.
//   j / k      next / previous row of a list ([data-keyboard-list]); Enter or o opens it
//   x          tick the selected row
//   any other  data-key="..." on a link or button clicks it; on a field, focuses it
//   Escape     leaves a field
(function () {
  const typing = (el) =>
    el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  let selected = -1;
  const rows = () => {
    const list = document.querySelector("[data-keyboard-list]");
    return list ? Array.from(list.querySelectorAll("tbody tr[data-href]")) : [];
  };
  const select = (index) => {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, i) => row.classList.toggle("selected", i === selected));
    all[selected].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const all = rows();
    if (event.key === "j") return select(selected + 1);
    if (event.key === "k") return select(selected - 1);
    if ((event.key === "Enter" || event.key === "o") && selected >= 0 && all[selected]) {
      window.location.href = all[selected].dataset.href;
      return;
    }
    if (event.key === "x" && selected >= 0 && all[selected]) {
      const box = all[selected].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
      return;
    }
    const target = document.querySelector(`[data-key="${CSS.escape(event.key)}"]`);
    if (!target) return;
    event.preventDefault();
    if (typing(target)) target.focus();
    else target.click();
  });
  // Rows are links too: a click anywhere on a row (not on its checkbox or a link) opens it.
  document.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, input, button, label, select")) return;
    window.location.href = row.dataset.href;
  });
})();
