import { type RefObject, useLayoutEffect, useRef, useState } from "react";

/**
 * The height a box (a grid) takes to fill the window below its top, at least `minPx`, following
 * resizes: a grid sized to the window keeps what comes after it, and its own last rows, in view
 * at 1366×768 instead of a fixed height pushing them below the fold. `belowPx` is what stays
 * under the box: the grid's borders and the page's bottom padding (VirtualTable's header row is
 * inside its scrolling body, so within the height).
 */
export function useFillHeight(
  box: RefObject<HTMLElement | null>,
  {
    minPx = 240,
    belowPx = 24,
    initialPx = 480,
  }: { minPx?: number; belowPx?: number; initialPx?: number } = {},
): number {
  const [height, setHeight] = useState(initialPx);
  const measure = () => {
    const top = box.current?.getBoundingClientRect().top;
    if (top === undefined || window.innerHeight === 0) return;
    setHeight(Math.max(minPx, Math.floor(window.innerHeight - top - belowPx)));
  };
  const latest = useRef(measure);
  latest.current = measure;
  const observer = useRef<ResizeObserver | undefined>(undefined);
  const observed = useRef<Element | null>(null);
  // Declared first, so the observer exists when the effect below first looks for the page.
  useLayoutEffect(() => {
    const onResize = () => latest.current();
    window.addEventListener("resize", onResize);
    if (typeof ResizeObserver !== "undefined") observer.current = new ResizeObserver(onResize);
    return () => {
      window.removeEventListener("resize", onResize);
      observer.current?.disconnect();
      observer.current = undefined;
      observed.current = null;
    };
  }, []);
  // Every render: what is above the box (an error, a parameters row) may have grown or shrunk.
  // The page the box is on is watched too: what is above may change without this component
  // rendering (a filter bar wrapping once its options arrive), and the page's size changes with
  // it (the page, not the body: the body is the window's height, the main area scrolls).
  useLayoutEffect(() => {
    measure();
    const page = box.current?.closest(".page") ?? null;
    if (page === observed.current || observer.current === undefined) return;
    if (observed.current !== null) observer.current.unobserve(observed.current);
    if (page !== null) observer.current.observe(page);
    observed.current = page;
  });
  return height;
}
