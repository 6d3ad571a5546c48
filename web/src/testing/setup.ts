// What jsdom lacks and the UI touches: scrolling (router scroll restoration, virtual lists),
// IndexedDB (an in-memory implementation; real browsers are covered by the e2e tests).
import "fake-indexeddb/auto";

window.scrollTo = () => {};
Element.prototype.scrollTo = () => {};

// jsdom has no modal dialogs: open and close set the `open` attribute (what a browser shows).
if (typeof HTMLDialogElement !== "undefined" && HTMLDialogElement.prototype.showModal === undefined) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.open = false;
  };
}
