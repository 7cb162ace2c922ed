// The big screen: a double click anywhere goes full screen.
document.documentElement.addEventListener("dblclick", function () {
  if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
});
