// The JSON Schema of card layouts, embedded so loading a layout needs no file access.
// CardLayouts/card-layout.schema.json is the same document; CardLayoutTests checks they agree.

extension CardLayout {
    /// The text of `CardLayouts/card-layout.schema.json`, which every loaded layout must satisfy.
    public static let schemaText: String = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "card-layout.schema.json",
  "title": "HromadaCard DESFire card layout",
  "description": "One DESFire EV1 application: AID, keys and their roles, files with access rights, and the binary record formats inside the files. See CardLayouts/README.md.",
  "type": "object",
  "additionalProperties": false,
  "required": ["id", "community", "name", "version", "card", "application", "files", "formats"],
  "properties": {
    "$schema": { "type": "string" },
    "id": { "$ref": "#/$defs/slug" },
    "community": { "$ref": "#/$defs/slug" },
    "name": { "type": "string", "minLength": 1, "maxLength": 120 },
    "version": { "type": "integer", "minimum": 1, "maximum": 255 },
    "description": { "type": "string" },
    "card": { "$ref": "#/$defs/card" },
    "application": { "$ref": "#/$defs/application" },
    "files": { "type": "array", "minItems": 1, "maxItems": 32, "items": { "$ref": "#/$defs/file" } },
    "formats": {
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/identifier" },
      "additionalProperties": { "$ref": "#/$defs/format" }
    }
  },
  "$defs": {
    "slug": { "type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 64 },
    "identifier": { "type": "string", "pattern": "^[a-z][A-Za-z0-9]*$", "maxLength": 40 },
    "card": {
      "type": "object",
      "additionalProperties": false,
      "required": ["model", "capacityBytes"],
      "properties": {
        "model": { "type": "string", "minLength": 1 },
        "capacityBytes": { "type": "integer", "minimum": 256, "maximum": 65536 }
      }
    },
    "application": {
      "type": "object",
      "additionalProperties": false,
      "required": ["aid", "keyType", "keys"],
      "properties": {
        "aid": { "type": "string", "pattern": "^[0-9A-F]{6}$" },
        "keyType": { "enum": ["AES"] },
        "keys": { "type": "array", "minItems": 1, "maxItems": 14, "items": { "$ref": "#/$defs/key" } }
      }
    },
    "key": {
      "type": "object",
      "additionalProperties": false,
      "required": ["number", "role"],
      "properties": {
        "number": { "type": "integer", "minimum": 0, "maximum": 13 },
        "role": { "enum": ["applicationMaster", "read", "validate", "issue"] },
        "description": { "type": "string" }
      }
    },
    "accessRight": {
      "oneOf": [
        { "type": "integer", "minimum": 0, "maximum": 13 },
        { "enum": ["free", "never", "applicationMaster", "read", "validate", "issue"] }
      ]
    },
    "access": {
      "type": "object",
      "additionalProperties": false,
      "required": ["read", "write", "readWrite", "change"],
      "properties": {
        "read": { "$ref": "#/$defs/accessRight" },
        "write": { "$ref": "#/$defs/accessRight" },
        "readWrite": { "$ref": "#/$defs/accessRight" },
        "change": { "$ref": "#/$defs/accessRight" }
      }
    },
    "file": {
      "type": "object",
      "additionalProperties": false,
      "required": ["number", "name", "type", "communication", "access"],
      "properties": {
        "number": { "type": "integer", "minimum": 0, "maximum": 31 },
        "name": { "$ref": "#/$defs/identifier" },
        "type": { "enum": ["standard", "backup", "value", "linearRecord", "cyclicRecord"] },
        "communication": { "enum": ["plain", "mac", "enciphered"] },
        "access": { "$ref": "#/$defs/access" },
        "description": { "type": "string" },
        "size": { "type": "integer", "minimum": 1, "maximum": 8192 },
        "format": { "$ref": "#/$defs/identifier" },
        "repeat": { "type": "integer", "minimum": 1, "maximum": 255 },
        "parts": { "type": "array", "minItems": 2, "maxItems": 8, "items": { "$ref": "#/$defs/part" } },
        "recordSize": { "type": "integer", "minimum": 1, "maximum": 8192 },
        "maxRecords": { "type": "integer", "minimum": 1, "maximum": 255 },
        "lowerLimit": { "type": "integer", "minimum": -2147483648, "maximum": 2147483647 },
        "upperLimit": { "type": "integer", "minimum": -2147483648, "maximum": 2147483647 },
        "initialValue": { "type": "integer", "minimum": -2147483648, "maximum": 2147483647 },
        "limitedCredit": { "type": "boolean" }
      },
      "allOf": [
        {
          "if": { "properties": { "type": { "enum": ["standard", "backup"] } } },
          "then": {
            "required": ["size"],
            "oneOf": [
              { "required": ["format"], "properties": { "parts": false } },
              { "required": ["parts"], "properties": { "format": false, "repeat": false } }
            ],
            "properties": { "recordSize": false, "maxRecords": false, "lowerLimit": false, "upperLimit": false, "initialValue": false, "limitedCredit": false }
          }
        },
        {
          "if": { "properties": { "type": { "const": "value" } } },
          "then": {
            "required": ["lowerLimit", "upperLimit", "initialValue", "limitedCredit"],
            "properties": { "size": false, "format": false, "repeat": false, "parts": false, "recordSize": false, "maxRecords": false }
          }
        },
        {
          "if": { "properties": { "type": { "enum": ["linearRecord", "cyclicRecord"] } } },
          "then": {
            "required": ["recordSize", "maxRecords", "format"],
            "properties": { "size": false, "repeat": false, "parts": false, "lowerLimit": false, "upperLimit": false, "initialValue": false, "limitedCredit": false }
          }
        },
        {
          "if": { "properties": { "type": { "const": "cyclicRecord" } } },
          "then": { "properties": { "maxRecords": { "minimum": 2 } } }
        }
      ]
    },
    "part": {
      "type": "object",
      "additionalProperties": false,
      "required": ["name", "format"],
      "properties": {
        "name": { "$ref": "#/$defs/identifier" },
        "format": { "$ref": "#/$defs/identifier" },
        "repeat": { "type": "integer", "minimum": 1, "maximum": 255 },
        "description": { "type": "string" }
      }
    },
    "format": {
      "type": "object",
      "additionalProperties": false,
      "required": ["size", "fields"],
      "properties": {
        "size": { "type": "integer", "minimum": 1, "maximum": 8192 },
        "description": { "type": "string" },
        "fields": { "type": "array", "minItems": 1, "maxItems": 64, "items": { "$ref": "#/$defs/field" } }
      }
    },
    "field": {
      "type": "object",
      "additionalProperties": false,
      "required": ["name", "type", "offset", "width"],
      "properties": {
        "name": { "$ref": "#/$defs/identifier" },
        "type": { "enum": ["uint", "int", "date", "dateTime", "enum", "bytes", "flags"] },
        "offset": { "type": "integer", "minimum": 0, "maximum": 8191 },
        "width": { "type": "integer", "minimum": 1, "maximum": 8192 },
        "byteOrder": { "enum": ["big", "little"] },
        "description": { "type": "string" },
        "values": {
          "type": "object",
          "propertyNames": { "$ref": "#/$defs/identifier" },
          "additionalProperties": { "type": "integer", "minimum": 0 }
        },
        "flags": {
          "type": "object",
          "propertyNames": { "$ref": "#/$defs/identifier" },
          "additionalProperties": { "type": "integer", "minimum": 0, "maximum": 63 }
        }
      },
      "allOf": [
        {
          "if": { "properties": { "type": { "const": "enum" } } },
          "then": { "required": ["values"], "properties": { "flags": false } },
          "else": { "properties": { "values": false } }
        },
        {
          "if": { "properties": { "type": { "const": "flags" } } },
          "then": { "required": ["flags"] },
          "else": { "properties": { "flags": false } }
        }
      ]
    }
  }
}
"""#
}
