//! `f64` fields that may hold NaN or ±inf: JSON has no such numbers (serde_json writes `null`
//! and then cannot read it back as `f64`), so they are written as the strings `"NaN"`, `"inf"`
//! and `"-inf"`, and read back from those (or from `null`, as NaN). Finite values stay numbers
//! and round-trip exactly (serde_json's `float_roundtrip`).

use serde::Serializer;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Serialises `value`, non-finite values as strings.
pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() {
        s.serialize_f64(*value)
    } else if value.is_nan() {
        s.serialize_str("NaN")
    } else if *value > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

/// Reads a number, `"NaN"`, `"inf"`, `"-inf"` or `null`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct AnyFloat;
    impl Visitor<'_> for AnyFloat {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
        fn visit_none<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v {
                "NaN" | "nan" => Ok(f64::NAN),
                "inf" | "+inf" | "Infinity" => Ok(f64::INFINITY),
                "-inf" | "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
            }
        }
    }
    d.deserialize_any(AnyFloat)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct W(#[serde(with = "super")] f64);

    #[test]
    fn every_float_round_trips_through_json() {
        for v in [
            0.1 + 0.2,
            0.963_888_888_888_888_9,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let json = serde_json::to_string(&W(v)).unwrap();
            let back: W = serde_json::from_str(&json).unwrap();
            assert_eq!(back.0.to_bits(), v.to_bits(), "{json}");
        }
        let nan: W = serde_json::from_str(&serde_json::to_string(&W(f64::NAN)).unwrap()).unwrap();
        assert!(nan.0.is_nan());
        assert!(serde_json::from_str::<W>("null").unwrap().0.is_nan());
        assert!(serde_json::from_str::<W>("\"many\"").is_err());
    }
}
