/* The big screen goes full screen on a double click (browsers allow it only on a gesture). */
(function () {
  "use strict";
  document.documentElement.addEventListener("dblclick", function () {
    if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
})();
