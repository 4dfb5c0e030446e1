import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { he } from './he';
import { en } from './en';
import type { UiLanguage } from './types';

export type { UiLanguage } from './types';

const STORAGE_KEY = 'kesher.language';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof he };
  }
}

export function isUiLanguage(v: unknown): v is UiLanguage {
  return v === 'he' || v === 'en';
}

/** The language remembered in this browser, if any (Hebrew is the default). */
export function storedLanguage(): UiLanguage | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isUiLanguage(v) ? v : null;
  } catch {
    return null;
  }
}

export function directionOf(lang: UiLanguage): 'rtl' | 'ltr' {
  return lang === 'he' ? 'rtl' : 'ltr';
}

/** Puts `lang` and `dir` on <html>, so the whole page (and the browser) knows. */
export function applyToDocument(lang: UiLanguage): void {
  document.documentElement.lang = lang;
  document.documentElement.dir = directionOf(lang);
}

export function currentLanguage(): UiLanguage {
  return isUiLanguage(i18n.language) ? i18n.language : 'he';
}

export async function setLanguage(lang: UiLanguage): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
  applyToDocument(lang);
  await i18n.changeLanguage(lang);
}

const initial: UiLanguage = storedLanguage() ?? 'he';
applyToDocument(initial);

void i18n.use(initReactI18next).init({
  resources: { he: { translation: he }, en: { translation: en } },
  lng: initial,
  fallbackLng: 'he',
  supportedLngs: ['he', 'en'],
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

export default i18n;
