import Foundation
import LedgerCore
import LedgerGenerator
import Testing

/// The projection's byte-level JSON reader against hand-written inputs and Foundation.
@Suite struct JSONTapeTests {
    @Test func readsNestedValuesAndTellsNullFromMissing() throws {
        let text =
            #"{"a": {"b": [1, {"c": "x"}, true], "n": null, "i": -42, "f": 1.5, "big": 99999999999999999999}, "z": false}"#
        let root = try JSONTape(parsing: Array(text.utf8)).root
        #expect(root["a"]["b"].elements.count == 3)
        #expect(root["a"]["b"].elements[1]["c"].string == "x")
        #expect(root["a"]["b"].elements[2].bool == true)
        #expect(root["a"]["n"].isNull && root["a"]["n"].exists)
        #expect(!root["a"]["missing"].exists && root["a"]["missing"].string == nil)
        #expect(root["a"]["i"].int64 == -42)
        #expect(root["a"]["f"].int64 == nil && root["a"]["big"].int64 == nil)
        #expect(root["z"].bool == false)
        #expect(root["a"]["b"]["c"].string == nil)
    }

    @Test func decodesEscapesInValuesAndKeys() throws {
        let text = #"{"s": "a\"b\\c\n\u00e9\ud83d\ude00", "k\u0065y": 1}"#
        let root = try JSONTape(parsing: Array(text.utf8)).root
        #expect(root["s"].string == "a\"b\\c\né😀")
        #expect(root["key"].int64 == 1)
    }

    @Test func canonicalJSONSortsKeysAndDropsWhitespace() throws {
        let text = #"{ "b" : [ 1 , { "y" : "\u0041" , "x" : null } ] , "a" : "q\"" }"#
        let root = try JSONTape(parsing: Array(text.utf8)).root
        #expect(root.canonicalJSON == #"{"a":"q\"","b":[1,{"x":null,"y":"A"}]}"#)
        #expect(try JSONTape(parsing: Array("{}".utf8)).root.canonicalJSON == "{}")
    }

    @Test func rejectsBrokenStructureWithoutCrashing() {
        for text in [
            #"{"a": 1"#, #"{"a" 1}"#, #"[1, 2"#, #"{"a": tru}"#, #""unterminated"#, #"{"a": 1}}"#, "", #"{"a":"\"#,
        ] {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONTape(parsing: Array(text.utf8)) }
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try JSONTape(parsing: Array(deep.utf8)) }
    }

    @Test(arguments: HistoryGenerator.APIVersion.allCases)
    func agreesWithFoundationOnGeneratedEvents(_ apiVersion: HistoryGenerator.APIVersion) throws {
        let generator = try HistoryGenerator(.init(customers: 20, months: 3, seed: 5, apiVersion: apiVersion))
        for event in generator.events() {
            let root = try JSONTape(parsing: event.json).root
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(event.json)) as? [String: Any])
            let object = try #require((expected["data"] as? [String: Any])?["object"] as? [String: Any])
            #expect(root["type"].string == event.type && root["created"].int64 == event.created)
            #expect(root["data"]["object"]["id"].string == object["id"] as? String)
            if let metadata = object["metadata"] {
                let foundation = try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
                #expect(root["data"]["object"]["metadata"].canonicalJSON == String(decoding: foundation, as: UTF8.self))
            }
        }
    }
}
