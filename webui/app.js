() => {
  // Clicking or hovering a [n] marker in an answer brings its source into view.
  const target = (event) => {
    const link = event.target.closest && event.target.closest("a.rag-cite");
    if (!link) return [null, null];
    const id = link.dataset.src || (link.getAttribute("href") || "").replace(/^#/, "");
    return [link, document.getElementById(id)];
  };
  document.addEventListener("click", (event) => {
    const [link, source] = target(event);
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    if (!source) return;
    source.scrollIntoView({ behavior: "smooth", block: "nearest" });
    source.classList.add("rag-flash");
    setTimeout(() => source.classList.remove("rag-flash"), 1800);
  }, true);
  document.addEventListener("mouseover", (event) => {
    const [, source] = target(event);
    if (source) source.classList.add("rag-hover");
  });
  document.addEventListener("mouseout", (event) => {
    const [, source] = target(event);
    if (source) source.classList.remove("rag-hover");
  });
  // The question box takes its direction from what is typed in it.
  const setDir = () => document.querySelectorAll("#rag-question textarea")
    .forEach((box) => box.setAttribute("dir", "auto"));
  setDir();
  new MutationObserver(setDir).observe(document.body, { childList: true, subtree: true });
}
