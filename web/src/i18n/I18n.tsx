import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { dictionaries, type Lang, type MessageKey } from './dictionary.ts';

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18nValue {
  lang: Lang;
  setLang(lang: Lang): void;
  t: Translate;
}

const I18nContext = createContext<I18nValue | null>(null);
const KEY = 'qt.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(KEY);
  if (saved === 'ko' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(KEY, next);
    setLangState(next);
  }, []);
  const t = useCallback<Translate>(
    (key, vars) => {
      const text = dictionaries[lang][key] ?? key;
      if (vars === undefined) return text;
      return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
        vars[name] === undefined ? whole : String(vars[name]),
      );
    },
    [lang],
  );
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (value === null) throw new Error('useI18n outside I18nProvider');
  return value;
}
