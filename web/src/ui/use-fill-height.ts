import { type RefObject, useLayoutEffect, useState } from "react";

/**
 * The height a box (a grid) takes to fill the window below its top, at least `minPx`, following
 * resizes: a grid sized to the window keeps what comes after it, and its own last rows, in view
 * at 1366×768 instead of a fixed height pushing them below the fold. `belowPx` is what stays
 * under the box: the grid's header row, borders and the page's bottom padding.
 */
export function useFillHeight(
  box: RefObject<HTMLElement | null>,
  {
    minPx = 240,
    belowPx = 54,
    initialPx = 480,
  }: { minPx?: number; belowPx?: number; initialPx?: number } = {},
): number {
  const [height, setHeight] = useState(initialPx);
  // Every render: what is above the box (an error, a parameters row) may have grown or shrunk.
  useLayoutEffect(() => {
    const measure = () => {
      const top = box.current?.getBoundingClientRect().top;
      if (top === undefined || window.innerHeight === 0) return;
      setHeight(Math.max(minPx, Math.floor(window.innerHeight - top - belowPx)));
    };
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  });
  return height;
}
