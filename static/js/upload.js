// Drag and drop onto the upload area: the dropped files become the form's files, so the
// same form posts them. Without JavaScript the file input alone does the job.
(function () {
  const zone = document.querySelector(".dropzone");
  const input = document.getElementById("id_files");
  if (!zone || !input) return;
  const chosen = zone.querySelector(".chosen");
  const show = () => {
    const names = Array.from(input.files).map((file) => file.name);
    chosen.textContent = names.length ? `${names.length} chosen: ${names.join(", ")}` : "";
  };
  ["dragenter", "dragover"].forEach((type) =>
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    })
  );
  ["dragleave", "drop"].forEach((type) =>
    zone.addEventListener(type, () => zone.classList.remove("dragging"))
  );
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  input.addEventListener("change", show);
})();
