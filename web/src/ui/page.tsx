import { type ReactNode, useEffect, useRef } from "react";

/** Set when the user went to another page: the next page to mount takes focus to its heading. */
let headingFocusWanted = false;

/**
 * Moves focus to the page's heading, so screen readers announce the new page: now, if a page is
 * on screen, and again when the next page mounts (its code may still be loading).
 */
export function focusPageHeading(): void {
  headingFocusWanted = true;
  document.getElementById("page-title")?.focus({ preventScroll: true });
}

/** One screen: a heading (the page's name for screen readers too), actions on the right, the body. */
export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  // Each page names the window (history entries, the WebView2 title bar, WCAG 2.4.2).
  useEffect(() => {
    document.title = `${title} · Langtian EDA`;
  }, [title]);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!headingFocusWanted) return;
    headingFocusWanted = false;
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        {/* Focusable from script only: the shell moves focus here on a page change. */}
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {actions === undefined ? null : <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
