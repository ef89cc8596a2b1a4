import { en } from './en.ts';
import { ko } from './ko.ts';

export type Lang = 'ko' | 'en';
export type MessageKey = keyof typeof en;

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, ko };
