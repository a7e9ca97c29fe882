@testable import TernConfig
import Testing

@Suite struct SourceLineIndexTests {
    private func path(_ components: ConfigKeyPath.Component...) -> ConfigKeyPath {
        ConfigKeyPath(components: components)
    }

    private let source = """
        # comment
        top = "a # not a comment"
        dotted.key = 1
        "quoted.key" = { inner = 2, other = [3, 4] }
        multi = \"\"\"
        [not.a.table]
        fake = 1
        \"\"\"
        list = [
          "one",  # comment ]
          ["two", "three"],
          { x = 1 },
        ]

        [ table . 'literal key' ]
        "esc\\"aped" = 'x'

        [[arr]]
        k = 1
        [arr.sub]
        s = 2

        [[arr]]
        k = 3

        [implicit.child]
        c = 4
        """

    @Test(arguments: [
        (["top"], 2), (["dotted", "key"], 3), (["dotted"], 3), (["quoted.key"], 4), (["quoted.key", "inner"], 4),
        (["multi"], 5), (["list"], 9), (["table"], 15), (["table", "literal key"], 15),
        (["table", "literal key", "esc\"aped"], 16), (["arr"], 18), (["implicit"], 26), (["implicit", "child", "c"], 27),
    ])
    func keys(_ keys: [String], _ line: Int) {
        let index = SourceLineIndex(source: source)
        #expect(index.line(for: ConfigKeyPath(components: keys.map { .key($0) })) == line)
    }

    @Test func arraysAndArraysOfTables() {
        let index = SourceLineIndex(source: source)
        #expect(index.line(for: path(.key("list"), .index(0))) == 10)
        #expect(index.line(for: path(.key("list"), .index(1))) == 11)
        #expect(index.line(for: path(.key("list"), .index(2), .key("x"))) == 12)
        #expect(index.line(for: path(.key("arr"), .index(0))) == 18)
        #expect(index.line(for: path(.key("arr"), .index(0), .key("k"))) == 19)
        #expect(index.line(for: path(.key("arr"), .index(0), .key("sub"), .key("s"))) == 21)
        #expect(index.line(for: path(.key("arr"), .index(1), .key("k"))) == 24)
        #expect(index.line(for: path(.key("arr"), .index(1), .key("missing"))) == 23)
        #expect(index.line(for: path(.key("nowhere"))) == nil)
        #expect(index.line(for: path(.key("not"))) == nil)
        #expect(index.line(for: path(.key("fake"))) == nil)
    }

    @Test func dottedKeyDescriptions() {
        #expect(path(.key("limits"), .key("message_size")).description == "limits.message_size")
        #expect(path(.key("listen"), .index(1), .key("address")).description == "listen[1].address")
        #expect(path(.key("local"), .key("forward"), .key("a@b.example")).description == #"local.forward."a@b.example""#)
        #expect(path(.key("q"), .key("say \"hi\"\\")).description == #"q."say \"hi\"\\""#)
    }
}
