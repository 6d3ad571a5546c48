// What jsdom lacks and the UI touches: scrolling (router scroll restoration, virtual lists),
// IndexedDB (an in-memory implementation; real browsers are covered by the e2e tests).
import "fake-indexeddb/auto";

window.scrollTo = () => {};
Element.prototype.scrollTo = () => {};
