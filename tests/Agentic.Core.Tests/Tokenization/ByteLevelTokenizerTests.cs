using System.Buffers;
using System.Text;
using Agentic.Core.Tokenization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Core.Tests.Tokenization;

[Properties(Replay = "(2777710961328615,2040782947)")]
public class ByteLevelTokenizerTests
{
    private static readonly ByteLevelTokenizer Tokenizer = ByteLevelTokenizer.CreateDefault();

    [Property(MaxTest = 300)]
    public Property EncodeThenDecode_ReturnsTheText() =>
        Prop.ForAll(Arb.From(TextGen.Unicode), text => Tokenizer.Decode(Tokenizer.EncodeToIds(text)) == text);

    [Property(MaxTest = 300)]
    public Property Decode_OfByteIds_MatchesUtf8Decoding(byte[] bytes)
    {
        int[] ids = bytes.Select(b => (int)b).ToArray();
        return (Tokenizer.Decode(ids) == Encoding.UTF8.GetString(bytes)).ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property CountTokens_EqualsEncodedLength() =>
        Prop.ForAll(Arb.From(TextGen.AnyString), text =>
            Tokenizer.CountTokens(text) == Tokenizer.EncodeToIds(text).Count
            && Tokenizer.EncodeToTokens(text, out _).Select(t => t.Id).SequenceEqual(Tokenizer.EncodeToIds(text)));

    [Property(MaxTest = 200)]
    public Property SpanDecode_WithAnyBufferSize_WritesAPrefixOfTheText() =>
        Prop.ForAll(Arb.From(TextGen.Unicode), Arb.From(Gen.Choose(0, 40)), (text, size) =>
        {
            IReadOnlyList<int> ids = Tokenizer.EncodeToIds(text);
            var buffer = new char[size];
            OperationStatus status = Tokenizer.Decode(ids, buffer, out int idsConsumed, out int charsWritten);
            string written = new(buffer, 0, charsWritten);
            bool complete = status == OperationStatus.Done && idsConsumed == ids.Count && written == text;
            bool partial = status == OperationStatus.DestinationTooSmall
                && written == Tokenizer.Decode(ids.Take(idsConsumed))
                && text.StartsWith(written, StringComparison.Ordinal);
            return complete || partial;
        });

    [Fact]
    public void Default_HasTheDocumentedVocabulary()
    {
        Assert.Equal(23, ByteLevelTokenizer.DefaultSpecialTokens.Count);
        Assert.Equal(256 + 23, Tokenizer.VocabularySize);
        Assert.Equal(256, Tokenizer.EndOfTextId);
        Assert.Equal(257, Tokenizer.GetSpecialTokenId("<|im_start|>"));
        Assert.Null(Tokenizer.GetSpecialTokenId("<nope>"));
        Assert.True(Tokenizer.IsSpecial(256));
        Assert.True(Tokenizer.IsSpecial(278));
        Assert.False(Tokenizer.IsSpecial(255));
        Assert.False(Tokenizer.IsSpecial(279));
    }

    [Fact]
    public void EachSpecialToken_EncodesToOneId_AndDecodesToItsText()
    {
        for (int i = 0; i < ByteLevelTokenizer.DefaultSpecialTokens.Count; i++)
        {
            string token = ByteLevelTokenizer.DefaultSpecialTokens[i];
            Assert.Equal([256 + i], Tokenizer.EncodeToIds(token));
            Assert.Equal(256 + i, Tokenizer.SpecialTokens[token]);
            Assert.Equal(token, Tokenizer.Decode([256 + i]));
        }
    }

    [Fact]
    public void Encode_MixesBytesAndSpecialTokens_WithOffsets()
    {
        IReadOnlyList<Microsoft.ML.Tokenizers.EncodedToken> tokens = Tokenizer.EncodeToTokens("é<|im_end|>a", out string? normalized);
        Assert.Null(normalized);
        Assert.Equal([0xC3, 0xA9, 258, 'a'], tokens.Select(t => t.Id));
        Assert.Equal(["<0xC3>", "<0xA9>", "<|im_end|>", "a"], tokens.Select(t => t.Value));
        Assert.Equal([new Range(0, 1), new Range(0, 1), new Range(1, 11), new Range(11, 12)], tokens.Select(t => t.Offset));
    }

    [Fact]
    public void Encode_MatchesTheLongestSpecialToken()
    {
        var tokenizer = new ByteLevelTokenizer(["<a>", "<a>b", "<"]);
        Assert.Equal([257, 'c'], tokenizer.EncodeToIds("<a>bc"));
        Assert.Equal([256, 'c'], tokenizer.EncodeToIds("<a>c"));
        Assert.Equal([258, 'x'], tokenizer.EncodeToIds("<x"));
    }

    [Fact]
    public void Encode_WithTokenLimit_NeverSplitsACharacter()
    {
        IReadOnlyList<int> ids = Tokenizer.EncodeToIds("a€b", maxTokenCount: 3, out _, out int consumed);
        Assert.Equal(['a'], ids);
        Assert.Equal(1, consumed);
        ids = Tokenizer.EncodeToIds("a€b", maxTokenCount: 4, out _, out consumed);
        Assert.Equal(['a', 0xE2, 0x82, 0xAC], ids);
        Assert.Equal(2, consumed);
    }

    [Fact]
    public void GetIndexByTokenCount_FromBothEnds()
    {
        const string text = "ab€<|im_end|>";
        Assert.Equal(2, Tokenizer.GetIndexByTokenCount(text, 4, out _, out int count));
        Assert.Equal(2, count);
        Assert.Equal(2, Tokenizer.GetIndexByTokenCountFromEnd(text, 4, out _, out count));
        Assert.Equal(4, count);
        Assert.Equal(3, Tokenizer.GetIndexByTokenCountFromEnd(text, 3, out _, out count));
        Assert.Equal(1, count);
    }

    [Fact]
    public void Decode_SplitCharacter_GivesReplacementOnlyAtTheBrokenSpot()
    {
        Assert.Equal("\uFFFD", Tokenizer.Decode([0xC3]));
        Assert.Equal("a\uFFFD<|endoftext|>\uFFFDb", Tokenizer.Decode(['a', 0xC3, 256, 0xA9, 'b']));
        Assert.Equal("\uFFFDé", Tokenizer.Decode([0xE2, 0x82, 0xC3, 0xA9]));
    }

    [Fact]
    public void Decode_OutOfRangeId_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([97, Tokenizer.VocabularySize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([-1], new char[4], out _, out _));
    }

    [Fact]
    public void Constructor_ValidatesTheSpecialTokens()
    {
        Assert.Throws<ArgumentException>(() => new ByteLevelTokenizer([]));
        Assert.Throws<ArgumentException>(() => new ByteLevelTokenizer(["<a>", "<a>"]));
        Assert.Throws<ArgumentException>(() => new ByteLevelTokenizer(["<a>", ""]));
        Assert.Equal(256, new ByteLevelTokenizer(["<x>", "<y>"]).EndOfTextId);
        Assert.Equal(257, new ByteLevelTokenizer(["<x>", "<|endoftext|>"]).EndOfTextId);
    }

    [Fact]
    public void Json_RoundTrips()
    {
        string json = Tokenizer.ToJson();
        Assert.StartsWith("{\"type\":\"byte_level\",\"special_tokens\":[", json, StringComparison.Ordinal);
        ByteLevelTokenizer restored = ByteLevelTokenizer.FromJson(json);
        Assert.Equal(ByteLevelTokenizer.DefaultSpecialTokens, restored.SpecialTokens.OrderBy(p => p.Value).Select(p => p.Key));
        Assert.Equal(json, restored.ToJson());

        var custom = new ByteLevelTokenizer(["<\"quoted\">", "ünï"]);
        Assert.Equal(custom.SpecialTokens, ByteLevelTokenizer.FromJson(custom.ToJson()).SpecialTokens);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"special_tokens\":[\"<a>\"]}")]
    [InlineData("{\"type\":\"bpe\",\"special_tokens\":[\"<a>\"]}")]
    [InlineData("{\"type\":\"byte_level\"}")]
    [InlineData("{\"type\":\"byte_level\",\"special_tokens\":\"<a>\"}")]
    [InlineData("{\"type\":\"byte_level\",\"special_tokens\":[1]}")]
    [InlineData("{\"type\":\"byte_level\",\"special_tokens\":[]}")]
    [InlineData("{\"type\":\"byte_level\",\"special_tokens\":[\"<a>\",\"<a>\"]}")]
    public void FromJson_BadDescription_ThrowsFormatException(string json)
    {
        FormatException ex = Assert.Throws<FormatException>(() => ByteLevelTokenizer.FromJson(json));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }
}
