/**
 * @module dashboard/theme
 * Light and dark themes: the system preference (prefers-color-scheme) until the user picks one
 * with the toggle; the choice is kept in the dashboard's storage. The theme is an attribute of
 * the dashboard's own root element, never of the host document.
 */
import { useEffect, useState } from "preact/hooks";

export type ThemeName = "light" | "dark";

export interface Theme {
  effective: ThemeName;
  toggle(): void;
}

function systemTheme(): ThemeName {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function useTheme(storage: Storage | null, storageKey: string): Theme {
  const key = `${storageKey}:theme`;
  const [chosen, setChosen] = useState<ThemeName | undefined>(() => {
    try {
      const value = storage?.getItem(key);
      return value === "light" || value === "dark" ? value : undefined;
    } catch {
      return undefined;
    }
  });
  const [system, setSystem] = useState<ThemeName>(systemTheme);
  useEffect(() => {
    if (typeof matchMedia !== "function") return;
    const query = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => setSystem(query.matches ? "dark" : "light");
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);
  const effective = chosen ?? system;
  const toggle = () => {
    const next: ThemeName = effective === "dark" ? "light" : "dark";
    setChosen(next);
    try {
      storage?.setItem(key, next);
    } catch {
      // not kept: fine
    }
  };
  return { effective, toggle };
}
