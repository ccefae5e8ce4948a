// The triage pages (board, inbox, ship and move pages); each works without this file.
document.documentElement.classList.add("js");

// A field's "… is required" goes away once something is typed in it.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.name || !String(input.value || "").trim()) return;
  const field = input.closest(".field.has-error");
  if (field) {
    field.classList.remove("has-error");
    field.querySelectorAll(".error-text").forEach((error) => error.remove());
  }
  document.querySelectorAll(`[data-error-for="${CSS.escape(input.name)}"]`).forEach((error) => error.remove());
});

// ---------------------------------------------------------------------------------------------
// The board: one move menu for every card. A card's Move button (or a drop on a column) opens
// it for that card; a plain move is made at once, shipping and declining ask for their note,
// and moving a shipped card back says what un-shipping does before it is done.

const moveDialog = () => document.getElementById("move-menu");
const NEEDS_NOTE = ["shipped", "declined"];

function menuSync(form) {
  const chosen = form.querySelector("input[name=status]:checked");
  const target = chosen ? chosen.value : "";
  const unship = form.dataset.from === "shipped" && target === "in_progress";
  const showing = unship ? "unship" : target;
  form.querySelectorAll(".move-extra").forEach((extra) => {
    extra.classList.toggle("shown", extra.dataset.for === showing);
  });
  form.querySelectorAll("[data-unship-hint]").forEach((hint) => {
    hint.hidden = form.dataset.from !== "shipped";
  });
  form.elements.unship.value = unship ? "1" : "";
  const labels = { shipped: "Ship it", declined: "Decline", unship: "Un-ship it" };
  const submit = form.querySelector("[data-move-submit]");
  submit.textContent = labels[showing] || "Move";
  submit.classList.toggle("danger", showing === "declined" || showing === "unship");
  submit.classList.toggle("primary", !(showing === "declined" || showing === "unship"));
  const initiative = form.elements.initiative.value;
  const audience = document.getElementById("move-audience");
  if (target === "shipped" && initiative && audience.dataset.loaded !== initiative && window.htmx) {
    audience.dataset.loaded = initiative;
    window.htmx.ajax("GET", form.dataset.audienceUrl.replace("/0/", `/${initiative}/`), {
      target: "#move-audience",
      swap: "innerHTML",
    });
  }
}

// Fill the menu in for one card, with `target` chosen (or nothing).
function menuFill(card, target) {
  const form = moveDialog().querySelector("[data-move-menu]");
  form.reset();
  form.elements.initiative.value = card.dataset.initiative;
  form.elements.version.value = card.dataset.version;
  form.dataset.from = card.dataset.status;
  form.querySelector("[data-move-title]").textContent = card.querySelector(".board-card-title").textContent;
  const moves = card.dataset.moves.trim().split(/\s+/);
  form.querySelectorAll("[data-target]").forEach((label) => {
    const input = label.querySelector("input");
    const allowed = moves.includes(label.dataset.target);
    label.hidden = !allowed;
    input.disabled = !allowed;
    input.checked = allowed && label.dataset.target === target;
  });
  document.getElementById("move-error").replaceChildren();
  const audience = document.getElementById("move-audience");
  audience.replaceChildren();
  delete audience.dataset.loaded;
  menuSync(form);
  return form;
}

function menuOpen(card, target) {
  const form = menuFill(card, target);
  moveDialog().showModal();
  const first = form.querySelector("input[name=status]:checked") || form.querySelector("input[name=status]:not(:disabled)");
  if (target && NEEDS_NOTE.includes(target)) {
    form.querySelector(`.move-extra[data-for=${target}] textarea`).focus();
  } else if (first) {
    first.focus();
  }
}

// Moves that need nothing more go at once, through the same menu (so one path does them all).
function menuSubmit(card, target) {
  if (NEEDS_NOTE.includes(target) || card.dataset.status === "shipped") {
    menuOpen(card, target);
    return;
  }
  const form = menuFill(card, target);
  if (window.htmx) window.htmx.trigger(form, "submit");
  else form.submit();
}

document.querySelectorAll("[data-move-menu]").forEach(menuSync);

document.addEventListener("change", (event) => {
  const form = event.target.closest && event.target.closest("[data-move-menu]");
  if (form && event.target.name === "status") menuSync(form);
});

document.addEventListener("click", (event) => {
  const open = event.target.closest && event.target.closest("[data-move-open]");
  if (open && moveDialog()) {
    event.preventDefault();
    menuOpen(open.closest("[data-initiative]"), null);
    return;
  }
  const cancel = event.target.closest && event.target.closest("[data-move-cancel]");
  if (cancel && moveDialog() && moveDialog().open) {
    event.preventDefault();
    moveDialog().close();
    return;
  }
  const close = event.target.closest && event.target.closest("[data-toast-close]");
  if (close) close.closest("[data-toast]").remove();
});

// A move refused for what was typed (a missing note) is said in the menu, open again if a drop
// made the move without it.
document.addEventListener("htmx:afterSwap", (event) => {
  const dialog = moveDialog();
  if (dialog && event.detail.target && event.detail.target.id === "move-error" && !dialog.open) {
    dialog.showModal();
  }
});

// After a move the board is drawn again: close the menu and put focus back on the card moved.
document.addEventListener("htmx:afterSwap", (event) => {
  if (!event.detail.target || event.detail.target.id !== "board") return;
  const dialog = moveDialog();
  if (!dialog) return;
  const id = dialog.querySelector("[data-move-menu]").elements.initiative.value;
  if (dialog.open) dialog.close();
  const button = document.querySelector(`#initiative-${id} [data-move-open]`);
  if (button) button.focus({ preventScroll: true });
});

// Drag a card onto a column it may move to.
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
  menuSubmit(dragged, column.dataset.status);
});

// ---------------------------------------------------------------------------------------------
// The inbox: j/k walk the tickets (j starts at the first), a letter opens that action on the
// current one, c ticks it for a bulk action, u undoes the last action.
const typing = (element) =>
  element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

function inboxItems() {
  return Array.from(document.querySelectorAll("[data-inbox] [data-inbox-item]:not([data-done])"));
}

// The ticket the keys act on: the one focused, else the one last marked current; none before j.
function currentItem() {
  const active = document.activeElement;
  const focused = active && active.closest && active.closest("[data-inbox] [data-inbox-item]");
  return focused || document.querySelector("[data-inbox] [data-inbox-item].current");
}

function focusItem(item) {
  if (!item) return;
  markCurrent(item);
  item.focus({ preventScroll: true });
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
  if (event.key === "u") {
    const undo = Array.from(document.querySelectorAll("[data-undo]")).pop();
    if (undo) {
      event.preventDefault();
      // The Undo button may have been swapped in a moment ago: make sure htmx has set its
      // form up (it does so after settling), or the click would post the whole page.
      if (window.htmx) window.htmx.process(undo.closest("form"));
      undo.click();
    }
    return;
  }
  const items = inboxItems();
  const item = currentItem();
  if (event.key === "j" || event.key === "k") {
    event.preventDefault();
    const at = items.indexOf(item);
    if (at === -1) {
      focusItem(items[0]);
      return;
    }
    focusItem(items[Math.max(0, Math.min(items.length - 1, at + (event.key === "j" ? 1 : -1)))]);
    return;
  }
  if (event.key === "c" && (item || items[0])) {
    const check = (item || items[0]).querySelector("[data-bulk-check]");
    if (check) {
      event.preventDefault();
      check.checked = !check.checked;
      bulkSync();
    }
    return;
  }
  // A letter before any j acts on the first ticket, as it always has.
  const target = item || items[0];
  const button = target && target.querySelector(`[data-key="${event.key}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});

// The current row opens; it changes only once a click is over (or from the keyboard), so a
// row opening or closing never moves what the pointer is pressing. A click on a row's own
// space focuses it; a tick leaves the current row as it is.
function markCurrent(item) {
  document.querySelectorAll("[data-inbox-item].current").forEach((other) => {
    if (other !== item) other.classList.remove("current");
  });
  item.classList.add("current");
}

document.addEventListener("click", (event) => {
  const item = event.target.closest && event.target.closest("[data-inbox] [data-inbox-item]:not([data-done])");
  if (!item || event.target.closest("[data-bulk-check]")) return;
  if (event.target.closest("a, button, input, select, textarea, label, form")) markCurrent(item);
  else focusItem(item);
});

let pointing = false;
document.addEventListener("mousedown", () => { pointing = true; }, true);
document.addEventListener("keydown", () => { pointing = false; }, true);
document.addEventListener("focusin", (event) => {
  const item = event.target.closest && event.target.closest("[data-inbox] [data-inbox-item]:not([data-done])");
  if (item && !pointing && !event.target.matches("[data-bulk-check]")) markCurrent(item);
});

document.addEventListener("click", (event) => {
  const toggle = event.target.closest && event.target.closest("[data-shortcuts-toggle]");
  if (!toggle) return;
  const panel = document.getElementById(toggle.getAttribute("aria-controls"));
  panel.hidden = !panel.hidden;
  toggle.setAttribute("aria-expanded", String(!panel.hidden));
});

// The bulk bar: it shows its action once a ticket is ticked, and the one field that action needs.
function bulkSync() {
  const bar = document.querySelector("[data-bulk]");
  if (!bar) return;
  const checks = Array.from(document.querySelectorAll("[data-inbox] [data-bulk-check]"));
  const ticked = checks.filter((check) => check.checked).length;
  bar.classList.toggle("picking", ticked > 0);
  bar.querySelector("[data-bulk-count]").textContent = ticked
    ? `${ticked} ticket${ticked === 1 ? "" : "s"} ticked`
    : "Tick tickets to act on several at once";
  const all = bar.querySelector("[data-bulk-all]");
  all.checked = ticked > 0 && ticked === checks.length;
  all.indeterminate = ticked > 0 && ticked < checks.length;
  const action = bar.querySelector("select[name=action]").value;
  bar.querySelectorAll("[data-bulk-for]").forEach((field) => {
    field.classList.toggle("shown", field.dataset.bulkFor === action);
  });
  const labels = { link: "Link them", decline: "Decline them", snooze: "Snooze them" };
  bar.querySelector("[data-bulk-apply]").textContent = labels[action] || "Apply";
}

document.addEventListener("change", (event) => {
  const all = event.target.closest && event.target.closest("[data-bulk-all]");
  if (all) {
    document.querySelectorAll("[data-inbox] [data-bulk-check]").forEach((check) => {
      check.checked = all.checked;
    });
  }
  if (event.target.closest && (event.target.closest("[data-bulk]") || event.target.matches("[data-bulk-check]"))) {
    bulkSync();
  }
});

bulkSync();

// After an inbox action opens its form, put the cursor in its first field; after one is done,
// move on to the next ticket. After a bulk action or an undo the list is new: its bar too.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "inbox-list") {
    bulkSync();
    return;
  }
  if (!target || !target.matches || !target.matches("[data-inbox-item]")) return;
  const swapped = document.getElementById(target.id);
  if (!swapped) return;
  if (swapped.hasAttribute("data-done")) {
    const items = inboxItems();
    const next = items.find((other) => swapped.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING);
    focusItem(next);
    bulkSync();
    return;
  }
  const field = swapped.querySelector(".inbox-form textarea, .inbox-form input:not([type=hidden]), .inbox-form select");
  if (field) field.focus();
  else swapped.focus();
});
