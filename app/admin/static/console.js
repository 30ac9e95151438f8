// Progressive touches only: every page works without this file.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.getElementById(copy.dataset.copy);
    field.select();
    const done = () => { copy.textContent = copy.dataset.copied; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, () => { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
    return;
  }
  const chip = event.target.closest("[data-insert]");
  if (chip) {
    const area = document.getElementById("source");
    const at = area.selectionStart ?? area.value.length;
    area.setRangeText(chip.dataset.insert, at, area.selectionEnd ?? at, "end");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
});
