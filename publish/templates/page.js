// Progressive enhancement: following a link to an area (#GM0344) opens that area's section,
// and a link to a figure inside a closed section opens the sections around it.
// Without script, the page is complete: each area opens with its own summary button.
(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) {
      return;
    }
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
    var own = target.tagName === "SECTION" && target.querySelector("details");
    if (own) {
      own.open = true;
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
