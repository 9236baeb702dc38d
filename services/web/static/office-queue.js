// The queue's "/" shortcut to the search box (an enhancement only: the page works without it).
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var box = document.querySelector("[data-shortcut='/']");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
