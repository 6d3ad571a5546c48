/** The main navigation, in the order of the sidebar; `key` is the Alt+<key> shortcut. */
export const NAV_ITEMS = [
  { to: "/", label: "Overview", key: "1" },
  { to: "/events", label: "Events", key: "2" },
  { to: "/live", label: "Live", key: "3" },
  { to: "/services", label: "Services", key: "4" },
  { to: "/dead-letters", label: "Dead letters", key: "5" },
  { to: "/config", label: "Configuration", key: "6" },
  { to: "/schemas", label: "Schemas", key: "7" },
  { to: "/sql", label: "SQL", key: "8" },
  { to: "/audit", label: "Audit", key: "9" },
  { to: "/diagnostics", label: "Diagnostics", key: "0" },
] as const;
