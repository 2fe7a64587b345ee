// The invoice screen: clicking a field shows where on the page it was read; + and -
// zoom the pages. Without JavaScript the field links reload the page with the box shown.
(function () {
  const pages = document.querySelector(".pages");
  const show = (name) => {
    document.querySelectorAll(".fieldbox.active, tr.selected").forEach((el) =>
      el.classList.remove("active", "selected"));
    const box = document.getElementById(`box-${name}`);
    if (!box) return;
    box.classList.add("active");
    const row = document.querySelector(`tr[data-field="${name}"]`);
    if (row) row.classList.add("selected");
    box.scrollIntoView({ block: "center", behavior: "smooth" });
    history.replaceState(null, "", `?field=${encodeURIComponent(name)}`);
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.show-field");
    if (!link) return;
    event.preventDefault();
    show(link.dataset.field);
  });
  document.querySelectorAll("[data-zoom]").forEach((button) =>
    button.addEventListener("click", () => {
      const zoom = parseFloat(getComputedStyle(pages).getPropertyValue("--zoom")) || 1;
      const next = Math.min(3, Math.max(0.5, zoom + 0.25 * Number(button.dataset.zoom)));
      pages.style.setProperty("--zoom", next);
    })
  );
})();
