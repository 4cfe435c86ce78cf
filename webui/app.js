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
  // The frame follows the reader: Arabic-first (dir=rtl, "عربي · English" labels) when the
  // browser's language is Arabic or the reader picked it (remembered), English-first
  // otherwise. Only the page's own bilingual labels turn; answers, sources and the articles
  // table keep their own direction and text.
  const ARABIC = /[\u0600-\u06FF]/;
  const CONTENT = "#rag-chat, #rag-report, #rag-stats, table, .rag-msg, .rag-src";
  const SEP = " · ";
  const readerLanguage = () => {
    const picked = localStorage.getItem("rag-lang");
    if (picked === "ar" || picked === "en") return picked;
    return (navigator.language || "").toLowerCase().startsWith("ar") ? "ar" : "en";
  };
  let lang = readerLanguage();
  const turned = (text) => {
    const at = text.indexOf(SEP);
    if (at < 0 || text.indexOf(SEP, at + 1) >= 0) return null;
    const first = text.slice(0, at), second = text.slice(at + SEP.length);
    if (ARABIC.test(first) === ARABIC.test(second)) return null; // not an English/Arabic pair
    const arabicFirst = ARABIC.test(first) && !/[A-Za-z]/.test(first);
    return arabicFirst === (lang === "ar") ? null : second.trim() + SEP + first.trim();
  };
  const orderLabels = (root) => {
    if (!root || (root.closest && root.closest(CONTENT))) return;
    if (root.nodeType === Node.TEXT_NODE) {
      const parent = root.parentElement;
      if (parent && parent.closest(CONTENT)) return;
      const text = turned(root.nodeValue || "");
      if (text !== null) root.nodeValue = text;
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement && node.parentElement.closest(CONTENT)) continue;
      const text = turned(node.nodeValue || "");
      if (text !== null) node.nodeValue = text;
    }
    root.querySelectorAll("[placeholder], [aria-label]").forEach((el) => {
      if (el.closest(CONTENT)) return;
      for (const name of ["placeholder", "aria-label"]) {
        const value = el.getAttribute(name);
        const text = value && turned(value);
        if (text) el.setAttribute(name, text);
      }
    });
  };
  const applyLanguage = () => {
    const root = document.documentElement;
    root.setAttribute("dir", lang === "ar" ? "rtl" : "ltr");
    root.setAttribute("lang", lang);
    document.querySelectorAll("#rag-lang").forEach((link) => {
      link.textContent = lang === "ar" ? "English" : "العربية";
    });
    orderLabels(document.body);
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("#rag-lang");
    if (!link) return;
    event.preventDefault();
    lang = lang === "ar" ? "en" : "ar";
    localStorage.setItem("rag-lang", lang);
    applyLanguage();
  });
  setDir();
  applyLanguage();
  new MutationObserver((mutations) => {
    setDir();
    follow();
    for (const m of mutations) {
      if (m.type === "characterData") orderLabels(m.target);
      m.addedNodes.forEach((node) => orderLabels(node));
    }
    if (document.documentElement.getAttribute("dir") !== (lang === "ar" ? "rtl" : "ltr")) {
      applyLanguage();
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}
