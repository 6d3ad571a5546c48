/** The UI's colour themes; "system" follows the operating system's setting. */
export const Theme = { light: "light", dark: "dark", system: "system" } as const;
export type Theme = (typeof Theme)[keyof typeof Theme];

const STORAGE_KEY = "langtian.theme";

/** The theme the user chose last (system when never chosen). */
export function storedTheme(): Theme {
  const value = localStorage.getItem(STORAGE_KEY);
  return value === Theme.light || value === Theme.dark ? value : Theme.system;
}

/** Applies a theme to the document (`data-theme` on <html>) and remembers it. */
export function applyTheme(theme: Theme): void {
  if (theme === Theme.system) {
    localStorage.removeItem(STORAGE_KEY);
    document.documentElement.removeAttribute("data-theme");
  } else {
    localStorage.setItem(STORAGE_KEY, theme);
    document.documentElement.setAttribute("data-theme", theme);
  }
}
