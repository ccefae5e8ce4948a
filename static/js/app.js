// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);


// A failed htmx request (server error, database unreachable, network down) says so on the page
// instead of silently doing nothing.
function flash(text) {
  let box = document.querySelector(".messages");
  if (!box) {
    box = document.createElement("div");
    box.className = "messages";
    box.setAttribute("role", "status");
    document.getElementById("main").prepend(box);
  }
  const message = document.createElement("div");
  message.className = "message error";
  message.textContent = text;
  box.append(message);
}

document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  flash(
    status === 503
      ? "The database is unreachable right now; nothing was saved. Try again in a moment."
      : `Something went wrong on the server (${status}); nothing was saved. Try again.`,
  );
});

document.addEventListener("htmx:sendError", () => {
  flash("Could not reach FeedbackLoop; check your connection and try again.");
});

// The menu on a narrow screen: its button folds and unfolds it; Escape folds it again.
function menuSet(toggle, open) {
  toggle.setAttribute("aria-expanded", String(open));
  document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", open);
}

document.addEventListener("click", (event) => {
  const toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
  if (toggle) menuSet(toggle, toggle.getAttribute("aria-expanded") !== "true");
});

document.addEventListener("keydown", (event) => {
  const toggle = document.querySelector("[data-menu-toggle][aria-expanded=true]");
  if (event.key !== "Escape" || !toggle) return;
  menuSet(toggle, false);
  toggle.focus();
});
