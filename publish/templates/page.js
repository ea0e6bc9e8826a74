// Progressive enhancement: following a link to an area opens that area's charts and tables.
// Without script, the page is complete: each area opens with its own summary button.
(function () {
  function openTarget() {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var details = target && target.querySelector("details");
    if (details) {
      details.open = true;
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
