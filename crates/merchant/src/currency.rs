//! ISO 4217: which three letters are a currency, and how many decimals its prices may have.
//!
//! A feed row with `SEK` and `24.95` is a price; `ABC` is a typo that would be shown to
//! shoppers, and `1200.5` yen is a price no shop can charge. The table holds the codes in use
//! (ISO 4217 list one, as of 2026, without funds, precious metals and testing codes) with their
//! minor units.

/// Codes whose prices have no decimals.
const NO_DECIMALS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
    "XPF",
];
/// Codes whose prices have three decimals.
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
/// Codes whose prices have four decimals (units of account).
const FOUR_DECIMALS: &[&str] = &["CLF", "UYW"];
/// Every other code in use: two decimals.
const TWO_DECIMALS: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BMD", "BND", "BOB",
    "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC",
    "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN",
    "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
];

/// The decimals prices in `code` (upper case) may have, or `None` when it is not a currency in use.
pub(crate) fn minor_units(code: &str) -> Option<u32> {
    [
        (NO_DECIMALS, 0),
        (TWO_DECIMALS, 2),
        (THREE_DECIMALS, 3),
        (FOUR_DECIMALS, 4),
    ]
    .into_iter()
    .find(|(codes, _)| codes.contains(&code))
    .map(|(_, units)| units)
}

/// Decimals written in a price as given (`"24.95"` → 2, `"10"` → 0, `"1e3"` → 0).
pub(crate) fn written_decimals(price: &str) -> u32 {
    let mantissa = price.trim().split(['e', 'E']).next().unwrap_or("");
    mantissa
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.trim_end_matches('0').len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue17_currencies_are_iso_4217_codes_with_their_minor_units() {
        assert_eq!(minor_units("SEK"), Some(2));
        assert_eq!(minor_units("JPY"), Some(0));
        assert_eq!(minor_units("KWD"), Some(3));
        for not_a_currency in ["ABC", "XXX", "XAU", "sek", "SE", ""] {
            assert_eq!(minor_units(not_a_currency), None, "{not_a_currency}");
        }
        let all: Vec<&str> = [NO_DECIMALS, TWO_DECIMALS, THREE_DECIMALS, FOUR_DECIMALS].concat();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "a code listed twice");
        assert!(all
            .iter()
            .all(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase())));
    }

    #[test]
    fn decimals_are_counted_as_written() {
        assert_eq!(written_decimals("24.95"), 2);
        assert_eq!(written_decimals("24.950"), 2);
        assert_eq!(written_decimals("10"), 0);
        assert_eq!(written_decimals("10."), 0);
        assert_eq!(written_decimals("0.125"), 3);
        assert_eq!(written_decimals("1.5e3"), 1);
    }
}
