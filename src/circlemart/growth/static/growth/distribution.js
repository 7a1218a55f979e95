// Distributor centre: "Copy" buttons put their link on the clipboard (the link also stays
// selectable in its read-only field, for browsers that refuse the clipboard).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = button.getAttribute("data-copy");
  const done = () => { button.textContent = button.dataset.copied || "✓"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => {});
  } else {
    const field = button.parentElement.querySelector("input");
    if (field) { field.select(); document.execCommand("copy"); done(); }
  }
});
