// Loaded synchronously in <head> (no inline script under the Content-Security-Policy): styles
// for "JavaScript on" apply before the first paint.
document.documentElement.className = "js";
