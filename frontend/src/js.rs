//! The wire types to and from the browser's values: what `JSON.parse` made is read into a type,
//! and a type is built as a plain object for `JSON.stringify`. A small serde data format of our
//! own instead of `serde-wasm-bindgen`: it knows only the shapes the wire types have (objects,
//! arrays, strings, numbers, booleans, `null`, unit enums as strings; objects also as maps, which
//! `#[serde(flatten)]` reads and writes them as), and its error says
//! nothing. The app shows its own text for a body it cannot read, so serde's messages ("invalid
//! type: floating point `1.5`, expected …") are never built, which keeps float and string
//! formatting out of the wasm.

use std::fmt;

use js_sys::{Array, Object, Reflect};
use serde::de::value::{StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::{self, Impossible, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// A value that does not fit the type, or a type this format cannot write.
#[derive(Debug)]
pub struct Unfit;

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value does not fit the type")
    }
}

impl std::error::Error for Unfit {}

impl de::Error for Unfit {
    fn custom<T: fmt::Display>(_: T) -> Unfit {
        Unfit
    }
}

impl ser::Error for Unfit {
    fn custom<T: fmt::Display>(_: T) -> Unfit {
        Unfit
    }
}

/// The browser's value read into `T`.
pub fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, Unfit> {
    T::deserialize(Value(value))
}

/// `value` as the browser's value (`None` leaves its field out, as `JSON.stringify` does with
/// `undefined`).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Unfit> {
    value.serialize(Writer)
}

/// A whole number JavaScript holds exactly.
fn integer(value: &JsValue) -> Option<i64> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    let number = value.as_f64()?;
    (number.trunc() == number && number.abs() <= MAX_SAFE).then_some(number as i64)
}

fn nullish(value: &JsValue) -> bool {
    value.is_null() || value.is_undefined()
}

struct Value(JsValue);

impl Value {
    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        match integer(&self.0) {
            Some(n) => visitor.visit_i64(n),
            None => visitor.visit_f64(self.0.as_f64().ok_or(Unfit)?),
        }
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Unfit;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        if nullish(&self.0) {
            visitor.visit_unit()
        } else if let Some(b) = self.0.as_bool() {
            visitor.visit_bool(b)
        } else if self.0.as_f64().is_some() {
            self.number(visitor)
        } else if let Some(s) = self.0.as_string() {
            visitor.visit_string(s)
        } else if Array::is_array(&self.0) {
            self.deserialize_seq(visitor)
        } else {
            self.deserialize_map(visitor)
        }
    }

    /// An object with all its fields, in the browser's order: how `#[serde(flatten)]` reads a
    /// type (the fields of the flattened part are collected first, then read as a struct).
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        if !self.0.is_object() {
            return Err(Unfit);
        }
        let keys = Object::keys(self.0.unchecked_ref::<Object>());
        visitor.visit_map(Entries { object: self.0, keys, next: 0, value: JsValue::UNDEFINED })
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_bool(self.0.as_bool().ok_or(Unfit)?)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_i64(integer(&self.0).ok_or(Unfit)?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_f64(self.0.as_f64().ok_or(Unfit)?)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_f64(self.0.as_f64().ok_or(Unfit)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_string(self.0.as_string().ok_or(Unfit)?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_string(self.0.as_string().ok_or(Unfit)?)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        if nullish(&self.0) { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        if nullish(&self.0) { visitor.visit_unit() } else { Err(Unfit) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unfit> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        let array = self.0.dyn_into::<Array>().map_err(|_| Unfit)?;
        visitor.visit_seq(Items { array, next: 0 })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unfit> {
        if !self.0.is_object() {
            return Err(Unfit);
        }
        visitor.visit_map(Fields {
            object: self.0,
            fields: fields.iter(),
            value: JsValue::UNDEFINED,
        })
    }

    /// Unit variants only, written as their name (`"session_expired"`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unfit> {
        let name: String = self.0.as_string().ok_or(Unfit)?;
        visitor.visit_enum(name.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit_struct tuple tuple_struct identifier ignored_any
    }
}

/// An array's items, one after the other.
struct Items {
    array: Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Unfit;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unfit> {
        if self.next >= self.array.length() {
            return Ok(None);
        }
        let item = self.array.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }
}

/// An object's fields the type has, in the type's order; a field the object lacks is missing
/// (other fields are not looked at).
struct Fields {
    object: JsValue,
    fields: std::slice::Iter<'static, &'static str>,
    value: JsValue,
}

impl Fields {
    /// The next field the object has, its value kept for [`de::MapAccess::next_value_seed`].
    /// Not generic, so one copy serves every type.
    #[inline(never)]
    fn next_field(&mut self) -> Option<&'static str> {
        for field in &mut self.fields {
            let value = Reflect::get(&self.object, &JsValue::from_str(field)).unwrap_or_default();
            if !value.is_undefined() {
                self.value = value;
                return Some(field);
            }
        }
        None
    }
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Unfit;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unfit> {
        match self.next_field() {
            Some(field) => seed.deserialize(StrDeserializer::<Unfit>::new(field)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Unfit> {
        seed.deserialize(Value(std::mem::take(&mut self.value)))
    }
}

/// Every field of an object, as a map's entries.
struct Entries {
    object: JsValue,
    keys: Array,
    next: u32,
    value: JsValue,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Unfit;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unfit> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        self.next += 1;
        self.value = Reflect::get(&self.object, &key).unwrap_or_default();
        let key = key.as_string().ok_or(Unfit)?;
        seed.deserialize(StringDeserializer::<Unfit>::new(key)).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Unfit> {
        seed.deserialize(Value(std::mem::take(&mut self.value)))
    }
}

/// Builds the browser's value of a type: structs as plain objects, sequences as arrays.
struct Writer;

fn safe_integer(n: f64) -> Result<JsValue, Unfit> {
    if n.abs() <= 9_007_199_254_740_991.0 { Ok(JsValue::from_f64(n)) } else { Err(Unfit) }
}

impl ser::Serializer for Writer {
    type Ok = JsValue;
    type Error = Unfit;
    type SerializeSeq = ArrayWriter;
    type SerializeTuple = Impossible<JsValue, Unfit>;
    type SerializeTupleStruct = Impossible<JsValue, Unfit>;
    type SerializeTupleVariant = Impossible<JsValue, Unfit>;
    type SerializeMap = MapWriter;
    type SerializeStruct = ObjectWriter;
    type SerializeStructVariant = Impossible<JsValue, Unfit>;

    fn serialize_bool(self, v: bool) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<JsValue, Unfit> {
        safe_integer(v as f64)
    }

    fn serialize_u8(self, v: u8) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<JsValue, Unfit> {
        safe_integer(v as f64)
    }

    fn serialize_f32(self, v: f32) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_f64(v))
    }

    fn serialize_char(self, v: char) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_str(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, v: &str) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_str(v))
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<JsValue, Unfit> {
        Err(Unfit)
    }

    fn serialize_none(self) -> Result<JsValue, Unfit> {
        Ok(JsValue::UNDEFINED)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue, Unfit> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<JsValue, Unfit> {
        Ok(JsValue::UNDEFINED)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<JsValue, Unfit> {
        Ok(JsValue::UNDEFINED)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<JsValue, Unfit> {
        Ok(JsValue::from_str(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<JsValue, Unfit> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<JsValue, Unfit> {
        Err(Unfit)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<ArrayWriter, Unfit> {
        Ok(ArrayWriter(Array::new()))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unfit> {
        Err(Unfit)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unfit> {
        Err(Unfit)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unfit> {
        Err(Unfit)
    }

    /// A map as a plain object (string keys only): how `#[serde(flatten)]` writes a type.
    fn serialize_map(self, _: Option<usize>) -> Result<MapWriter, Unfit> {
        Ok(MapWriter { object: Object::new(), key: JsValue::UNDEFINED })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<ObjectWriter, Unfit> {
        Ok(ObjectWriter(Object::new()))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unfit> {
        Err(Unfit)
    }
}

struct ArrayWriter(Array);

impl ser::SerializeSeq for ArrayWriter {
    type Ok = JsValue;
    type Error = Unfit;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unfit> {
        self.0.push(&value.serialize(Writer)?);
        Ok(())
    }

    fn end(self) -> Result<JsValue, Unfit> {
        Ok(self.0.into())
    }
}

struct ObjectWriter(Object);

impl ser::SerializeStruct for ObjectWriter {
    type Ok = JsValue;
    type Error = Unfit;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unfit> {
        let value = value.serialize(Writer)?;
        if !value.is_undefined() {
            Reflect::set(&self.0, &JsValue::from_str(key), &value).map_err(|_| Unfit)?;
        }
        Ok(())
    }

    fn end(self) -> Result<JsValue, Unfit> {
        Ok(self.0.into())
    }
}

struct MapWriter {
    object: Object,
    key: JsValue,
}

impl ser::SerializeMap for MapWriter {
    type Ok = JsValue;
    type Error = Unfit;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unfit> {
        let key = key.serialize(Writer)?;
        if key.as_string().is_none() {
            return Err(Unfit);
        }
        self.key = key;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unfit> {
        let value = value.serialize(Writer)?;
        let key = std::mem::take(&mut self.key);
        if !value.is_undefined() {
            Reflect::set(&self.object, &key, &value).map_err(|_| Unfit)?;
        }
        Ok(())
    }

    fn end(self) -> Result<JsValue, Unfit> {
        Ok(self.object.into())
    }
}
