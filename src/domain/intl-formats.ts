/**
 * Intl formatters, built once per locale, options and time zone. Building one
 * costs tens of microseconds and a chat turn formats money, dates and slots
 * dozens of times (bench:whatsapp profile); using a built one is cheap.
 */
const MAX_FORMATS = 500;
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function remembered<F>(cache: Map<string, F>, key: string, build: () => F): F {
  let format = cache.get(key);
  if (format === undefined) {
    // Zones and currencies come from data: a bound keeps an odd stream of them from growing the cache.
    if (cache.size >= MAX_FORMATS) cache.clear();
    cache.set(key, (format = build()));
  }
  return format;
}

export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return remembered(dateFormats, `${locale}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));
}

export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return remembered(numberFormats, `${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
}
