// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);


// The board: drag a card onto a column it may move to; the card's own form does the move,
// so dragging, the keyboard and the select all take the same path.
let dragged = null;
const columns = () => document.querySelectorAll(".board-column");

document.addEventListener("dragstart", (event) => {
  const card = event.target.closest && event.target.closest("[data-initiative]");
  if (!card) return;
  dragged = card;
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", card.dataset.initiative);
  card.classList.add("dragging");
  const moves = card.dataset.moves.trim().split(/\s+/);
  columns().forEach((column) => {
    column.classList.toggle("can-drop", moves.includes(column.dataset.status));
  });
});

document.addEventListener("dragend", () => {
  if (dragged) dragged.classList.remove("dragging");
  dragged = null;
  columns().forEach((column) => column.classList.remove("can-drop", "drop-here"));
});

document.addEventListener("dragover", (event) => {
  const column = event.target.closest && event.target.closest(".board-column.can-drop");
  if (!column || !dragged) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  columns().forEach((c) => c.classList.toggle("drop-here", c === column));
});

document.addEventListener("drop", (event) => {
  const column = event.target.closest && event.target.closest(".board-column.can-drop");
  if (!column || !dragged) return;
  event.preventDefault();
  const form = dragged.querySelector("form.move");
  form.querySelector("select[name=status]").value = column.dataset.status;
  if (window.htmx) {
    window.htmx.trigger(form, "submit");
  } else {
    form.submit();
  }
});

// The inbox: j/k walk the tickets, a letter opens that action on the current one.
const typing = (element) =>
  element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

function inboxItems() {
  return Array.from(document.querySelectorAll("[data-inbox] [data-inbox-item]:not([data-done])"));
}

function currentItem() {
  const active = document.activeElement;
  return (active && active.closest("[data-inbox-item]")) || inboxItems()[0];
}

function focusItem(item) {
  if (!item) return;
  item.focus();
  item.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (event) => {
  if (!document.querySelector("[data-inbox]")) return;
  if (event.key === "Escape") {
    const cancel = document.querySelector("[data-inbox-item] [data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if (event.key === "?") {
    const toggle = document.querySelector("[data-shortcuts-toggle]");
    if (toggle) toggle.click();
    return;
  }
  const items = inboxItems();
  const item = currentItem();
  if (event.key === "j" || event.key === "k") {
    event.preventDefault();
    const at = items.indexOf(item);
    focusItem(items[Math.max(0, Math.min(items.length - 1, at + (event.key === "j" ? 1 : -1)))]);
    return;
  }
  const button = item && item.querySelector(`[data-key="${event.key}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});

document.addEventListener("click", (event) => {
  const toggle = event.target.closest && event.target.closest("[data-shortcuts-toggle]");
  if (!toggle) return;
  const panel = document.getElementById(toggle.getAttribute("aria-controls"));
  panel.hidden = !panel.hidden;
  toggle.setAttribute("aria-expanded", String(!panel.hidden));
});

// After an inbox action opens its form, put the cursor in its first field; after one is done,
// move on to the next ticket.
document.addEventListener("htmx:afterSwap", (event) => {
  const item = event.detail.target;
  if (!item || !item.matches || !item.matches("[data-inbox-item]")) return;
  const swapped = document.getElementById(item.id);
  if (!swapped) return;
  if (swapped.hasAttribute("data-done")) {
    const items = inboxItems();
    const next = items.find((other) => swapped.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING);
    focusItem(next);
    return;
  }
  const field = swapped.querySelector(".inbox-form textarea, .inbox-form input:not([type=hidden]), .inbox-form select");
  if (field) field.focus();
  else swapped.focus();
});

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
