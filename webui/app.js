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
  // Scrolling the chat (its own autoscroll is off): follow an answer while it streams, then
  // show the finished answer from its first line rather than from the end of its sources.
  const scroller = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (/auto|scroll/.test(getComputedStyle(box).overflowY)) return box;
    }
    return null;
  };
  const follow = () => {
    const answers = document.querySelectorAll("#rag-chat .rag-answer");
    const last = answers[answers.length - 1];
    if (!last || last.ragShown) return;
    const box = scroller(last);
    if (!box) return;
    if (last.querySelector(".rag-cursor")) {
      const fromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
      if (!last.ragFollowed || fromBottom < 250) box.scrollTop = box.scrollHeight;
      last.ragFollowed = true;
      return;
    }
    last.ragShown = true;
    const top = last.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop = box.scrollTop + top - 80;
  };
  // The question box takes its direction from what is typed in it.
  const setDir = () => document.querySelectorAll("#rag-question textarea")
    .forEach((box) => box.setAttribute("dir", "auto"));
  setDir();
  new MutationObserver(() => {
    setDir();
    follow();
  }).observe(document.body, { childList: true, subtree: true });
}
