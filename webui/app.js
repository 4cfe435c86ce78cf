() => {
  // Clicking or hovering a [n] marker in an answer brings its source into view.
  const target = (event) => {
    const link = event.target.closest && event.target.closest("a.rag-cite");
    if (!link) return [null, null];
    // The chat's sanitiser keeps href and id (not data-*): the href names the source card.
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
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
  // A finished answer is shown from its first line (its sources follow), not from the
  // bottom of the sources where the chat's autoscroll leaves it.
  const showAnswerStart = () => {
    const answers = document.querySelectorAll("#rag-chat .rag-answer");
    const last = answers[answers.length - 1];
    if (!last || last.ragShown || last.querySelector(".rag-cursor")) return;
    last.ragShown = true;
    setTimeout(() => {
      let box = last.parentElement;
      const scrolls = (el) => el.scrollHeight > el.clientHeight + 1
        && /auto|scroll/.test(getComputedStyle(el).overflowY);
      while (box && box !== document.body && !scrolls(box)) {
        box = box.parentElement;
      }
      if (!box || box === document.body) return;
      const top = last.getBoundingClientRect().top - box.getBoundingClientRect().top;
      if (top < 0 || top > box.clientHeight / 2) {
        box.scrollTo({ top: box.scrollTop + top - 60, behavior: "smooth" });
      }
    }, 200);
  };
  // The question box takes its direction from what is typed in it.
  const setDir = () => document.querySelectorAll("#rag-question textarea")
    .forEach((box) => box.setAttribute("dir", "auto"));
  setDir();
  new MutationObserver(() => {
    setDir();
    showAnswerStart();
  }).observe(document.body, { childList: true, subtree: true });
}
