// The review page; it works without this file (every tool is a form that posts).
// After a dot is put on or taken back with htmx, only that item and the "dots left" counter come
// back: every item's "+ dot" button follows the counter, so nobody tries for a sixth.
document.addEventListener("htmx:afterSettle", () => {
  const counter = document.getElementById("dots-left");
  if (!counter) return;
  const none = counter.dataset.dotsLeft === "0";
  document.querySelectorAll("[data-dot-add]").forEach((button) => {
    button.disabled = none;
    if (none) button.title = "You have used all your dots; take one back first";
    else button.removeAttribute("title");
  });
});

// An agenda ticket's matches come from the same template as everywhere else, with plain forms
// that record "link" or "same ask": here they post with htmx and the item comes back in place.
document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  if (!root.querySelectorAll || !window.htmx) return;
  root.querySelectorAll("[data-item-target] form[method=post]").forEach((form) => {
    form.setAttribute("hx-post", form.getAttribute("action"));
    form.setAttribute("hx-target", form.closest("[data-item-target]").dataset.itemTarget);
    form.setAttribute("hx-swap", "outerHTML");
    window.htmx.process(form);
  });
});

// The invitee picker: Enter in its search finds people (it would otherwise submit the form
// around it, which schedules the workshop or sends the invites).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !event.target.matches || !event.target.matches("[data-people-q]")) return;
  event.preventDefault();
  const find = event.target.closest(".invitee-picker").querySelector("[data-people-find]");
  if (find) find.click();
});
