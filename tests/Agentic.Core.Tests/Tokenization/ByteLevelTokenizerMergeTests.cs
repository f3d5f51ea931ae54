using System.Buffers;
using System.Diagnostics;
using System.Text;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace Agentic.Core.Tests.Tokenization;

[Properties(Replay = "(621357220090620,3003027367)")]
public class ByteLevelTokenizerMergeTests(ITestOutputHelper output)
{
    private static readonly ByteLevelTokenizer Plain = ByteLevelTokenizer.CreateDefault();

    private static readonly ByteLevelTokenizer Fitted = ByteLevelTokenizer.Fit(
        AgentCorpus.Episodes(400, seed: 1).Append("héllo wörld 中文 😀😀 naïve café € €€"),
        new ByteLevelTokenizerFitOptions { Merges = 300 });

    private static readonly Gen<string> Texts = Gen.OneOf(
        TextGen.Unicode,
        Gen.Fresh(() => AgentCorpus.Episode(new Random())),
        Gen.Zip(TextGen.Unicode, Gen.Choose(0, 1000)).Select(t => AgentCorpus.Episode(new Random(t.Item2)) + t.Item1));

    [Property(MaxTest = 300)]
    public Property EncodeThenDecode_ReturnsTheText() =>
        Prop.ForAll(Arb.From(Texts), text => Fitted.Decode(Fitted.EncodeToIds(text)) == text);

    [Property(MaxTest = 200)]
    public Property LoneSurrogates_DecodeAsReplacement_LikePlain() =>
        Prop.ForAll(Arb.From(TextGen.AnyString), text =>
            Fitted.Decode(Fitted.EncodeToIds(text)) == Plain.Decode(Plain.EncodeToIds(text)));

    [Property(MaxTest = 200)]
    public Property CountTokens_AndTokens_AgreeWithIds() =>
        Prop.ForAll(Arb.From(Gen.OneOf(Texts, TextGen.AnyString)), text =>
        {
            IReadOnlyList<int> ids = Fitted.EncodeToIds(text);
            IReadOnlyList<EncodedToken> tokens = Fitted.EncodeToTokens(text, out _);
            return Fitted.CountTokens(text) == ids.Count
                && tokens.Select(t => t.Id).SequenceEqual(ids)
                && tokens.All(t => t.Offset.Start.Value < t.Offset.End.Value && t.Offset.End.Value <= text.Length);
        });

    [Property(MaxTest = 200)]
    public Property TokenLimit_GivesAPrefixOfTheIds_EndingOnACharacter() =>
        Prop.ForAll(Arb.From(Texts), Arb.From(Gen.Choose(1, 60)), (text, max) =>
        {
            IReadOnlyList<int> all = Fitted.EncodeToIds(text);
            IReadOnlyList<int> ids = Fitted.EncodeToIds(text, max, out _, out int consumed);
            bool prefix = ids.Count <= max && all.Take(ids.Count).SequenceEqual(ids) && Fitted.Decode(ids) == text[..consumed];
            bool complete = ids.Count < all.Count || consumed == text.Length;
            int index = Fitted.GetIndexByTokenCountFromEnd(text, max, out _, out int fromEnd);
            bool suffix = fromEnd <= max && Fitted.Decode(all.Skip(all.Count - fromEnd)) == text[index..];
            return prefix && complete && suffix;
        });

    [Property(MaxTest = 200)]
    public Property SpanDecode_WithAnyBufferSize_WritesAPrefixOfTheText() =>
        Prop.ForAll(Arb.From(Texts), Arb.From(Gen.Choose(0, 60)), (text, size) =>
        {
            IReadOnlyList<int> ids = Fitted.EncodeToIds(text);
            var buffer = new char[size];
            OperationStatus status = Fitted.Decode(ids, buffer, out int idsConsumed, out int charsWritten);
            string written = new(buffer, 0, charsWritten);
            bool complete = status == OperationStatus.Done && idsConsumed == ids.Count && written == text;
            bool partial = status == OperationStatus.DestinationTooSmall
                && written == Fitted.Decode(ids.Take(idsConsumed))
                && text.StartsWith(written, StringComparison.Ordinal);
            return complete || partial;
        });

    [Property(MaxTest = 200)]
    public Property Decode_OfArbitraryIds_MatchesUtf8DecodingOfTheirBytes() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, Fitted.VocabularySize - 1).Where(id => !Fitted.IsSpecial(id)).ListOf()), ids =>
        {
            byte[] bytes = ids.SelectMany(Fitted.GetTokenBytes).ToArray();
            var buffer = new char[bytes.Length * 2 + 2];
            OperationStatus status = Fitted.Decode(ids, buffer, out int consumed, out int written);
            string expected = Encoding.UTF8.GetString(bytes);
            return Fitted.Decode(ids) == expected
                && status == OperationStatus.Done && consumed == ids.Count && new string(buffer, 0, written) == expected;
        });

    [Fact]
    public void Vocabulary_PutsMergesAfterTheSpecialTokens()
    {
        Assert.InRange(Fitted.MergeCount, 100, 300);
        Assert.Equal(Fitted.MergeCount, Fitted.Merges.Count);
        Assert.Equal(256 + 23, Fitted.FirstMergeId);
        Assert.Equal(256 + 23 + Fitted.MergeCount, Fitted.VocabularySize);
        Assert.Equal(256, Fitted.EndOfTextId);
        Assert.True(Fitted.IsSpecial(278));
        Assert.False(Fitted.IsSpecial(279));
        Assert.False(Fitted.IsSpecial(Fitted.VocabularySize - 1));
        Assert.Equal(0, Plain.MergeCount);
        Assert.Empty(Plain.Merges);
    }

    [Fact]
    public void EachSpecialToken_IsOneId_WithMerges()
    {
        for (int i = 0; i < ByteLevelTokenizer.DefaultSpecialTokens.Count; i++)
        {
            string token = ByteLevelTokenizer.DefaultSpecialTokens[i];
            Assert.Equal([256 + i], Fitted.EncodeToIds(token));
            Assert.Equal(token, Fitted.Decode([256 + i]));
            Assert.Equal([256 + i, 256 + i], Fitted.EncodeToIds(token + token));
        }

        IReadOnlyList<int> ids = Fitted.EncodeToIds("<tool_call>\n{\"name\": \"x\"}\n</tool_call>");
        Assert.Equal(259, ids[0]);
        Assert.Equal(260, ids[^1]);
    }

    [Fact]
    public void Fit_SplitsOutSpecialTokens_BeforeCounting()
    {
        string onlySpecials = string.Concat(Enumerable.Repeat("<tool_call></tool_call><|im_end|>", 100));
        ByteLevelTokenizer tokenizer = ByteLevelTokenizer.Fit([onlySpecials], new ByteLevelTokenizerFitOptions());
        Assert.Equal(0, tokenizer.MergeCount);

        // No merge may hold the bytes of a special token, even though they are the most frequent text in the corpus.
        foreach (int id in Enumerable.Range(Fitted.FirstMergeId, Fitted.MergeCount))
        {
            string text = Encoding.UTF8.GetString(Fitted.GetTokenBytes(id));
            Assert.DoesNotContain("im_start", text, StringComparison.Ordinal);
            Assert.DoesNotContain("tool_call", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Fit_IsDeterministic_AndIndependentOfCorpusOrder()
    {
        List<string> corpus = AgentCorpus.Episodes(200, seed: 7);
        var options = new ByteLevelTokenizerFitOptions { Merges = 200 };
        ByteLevelTokenizer first = ByteLevelTokenizer.Fit(corpus, options);
        ByteLevelTokenizer second = ByteLevelTokenizer.Fit(corpus, options);
        ByteLevelTokenizer reversed = ByteLevelTokenizer.Fit(Enumerable.Reverse(corpus), options);
        Assert.Equal(first.Merges, second.Merges);
        Assert.Equal(first.Merges, reversed.Merges);
        Assert.Equal(first.ToJson(), reversed.ToJson());
    }

    [Fact]
    public void Fit_StopsAtMinPairFrequency_AndBreaksTiesByLowestIds()
    {
        ByteLevelTokenizer tokenizer = ByteLevelTokenizer.Fit(["ab cd"], new ByteLevelTokenizerFitOptions { MinPairFrequency = 1, SpecialTokens = ["<s>"] });

        // Pre-tokens "ab" and " cd": pairs (a,b), ( ,c), (c,d) all occur once; the lowest pair goes first.
        Assert.Equal([new BytePairMerge(' ', 'c'), new BytePairMerge('a', 'b'), new BytePairMerge(257, 'd')], tokenizer.Merges);
        Assert.Equal([258, 259], tokenizer.EncodeToIds("ab cd"));
        Assert.Equal(0, ByteLevelTokenizer.Fit(["ab cd"], new ByteLevelTokenizerFitOptions()).MergeCount);
        Assert.Equal(0, ByteLevelTokenizer.Fit(["abab"], new ByteLevelTokenizerFitOptions { Merges = 0 }).MergeCount);
    }

    [Fact]
    public void Digits_AreNeverMerged()
    {
        Assert.Equal(5, Fitted.EncodeToIds("12345").Count);
        Assert.All(Fitted.Merges, m => Assert.False(
            Fitted.GetTokenBytes(m.Left).Any(b => char.IsAsciiDigit((char)b)) && Fitted.GetTokenBytes(m.Right).Any(b => char.IsAsciiDigit((char)b))));
    }

    [Fact]
    public void Merges_CompressAgentEpisodes()
    {
        ByteLevelTokenizer tokenizer = ByteLevelTokenizer.Fit(AgentCorpus.Episodes(500, seed: 2), new ByteLevelTokenizerFitOptions());
        List<string> heldOut = AgentCorpus.Episodes(100, seed: 3);
        double plain = heldOut.Sum(e => Plain.CountTokens(e));
        double merged = heldOut.Sum(e => tokenizer.CountTokens(e));
        output.WriteLine($"merges {tokenizer.MergeCount}, byte-level {plain / heldOut.Count:F0} tokens/episode, merged {merged / heldOut.Count:F0}, ratio {plain / merged:F2}");
        Assert.True(plain / merged > 1.5, $"Compression ratio {plain / merged:F2}.");

        const string call = "<tool_call>\n{\"name\": \"find_customer\", \"arguments\": {\"name\": \"Jon Okafor\"}}\n</tool_call>";
        const string result = "{\"customer_id\": \"C20\", \"name\": \"Jon Okafor\", \"email\": \"jon.okafor@example.com\", \"tier\": \"silver\"}";
        foreach (string sample in new[] { call, result })
        {
            int before = Plain.CountTokens(sample), after = tokenizer.CountTokens(sample);
            output.WriteLine($"{before} -> {after} tokens ({(double)before / after:F2}x): {sample}");
            Assert.True((double)before / after > 2, sample);
        }
        Assert.All(heldOut, e => Assert.True(tokenizer.CountTokens(e) < Plain.CountTokens(e)));
    }

    [Fact]
    public void Fit_TwoMegabytes_OfVariedText_TakesSeconds()
    {
        var random = new Random(5);
        var corpus = new List<string>();
        long chars = 0;
        while (chars < 2_000_000)
        {
            string episode = AgentCorpus.Episode(random) + AgentCorpus.Prose(random);
            corpus.Add(episode);
            chars += episode.Length;
        }

        var watch = Stopwatch.StartNew();
        ByteLevelTokenizer tokenizer = ByteLevelTokenizer.Fit(corpus, new ByteLevelTokenizerFitOptions { Merges = 1000 });
        watch.Stop();
        output.WriteLine($"{chars} chars, {corpus.Count} episodes, {tokenizer.MergeCount} merges in {watch.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(1000, tokenizer.MergeCount);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"Fitting took {watch.Elapsed}.");
    }

    [Fact]
    public void Json_RoundTrips_WithMerges()
    {
        string json = Fitted.ToJson();
        Assert.Contains("\"merges\":[[", json, StringComparison.Ordinal);
        ByteLevelTokenizer restored = ByteLevelTokenizer.FromJson(json);
        Assert.Equal(Fitted.Merges, restored.Merges);
        Assert.Equal(json, restored.ToJson());
        foreach (string episode in AgentCorpus.Episodes(20, seed: 4))
        {
            Assert.Equal(Fitted.EncodeToIds(episode), restored.EncodeToIds(episode));
        }
    }

    [Fact]
    public void Json_WithoutMerges_LoadsAsBefore()
    {
        ByteLevelTokenizer old = ByteLevelTokenizer.FromJson("{\"type\":\"byte_level\",\"special_tokens\":[\"<a>\",\"<b>\"]}");
        Assert.Equal(0, old.MergeCount);
        Assert.Equal(258, old.VocabularySize);
        Assert.Equal(['h', 'i', 257], old.EncodeToIds("hi<b>"));
        Assert.DoesNotContain("merges", Plain.ToJson(), StringComparison.Ordinal);
        Assert.Equal(Plain.ToJson(), ByteLevelTokenizer.Fit([], new ByteLevelTokenizerFitOptions()).ToJson());
    }

    [Theory]
    [InlineData("\"merges\":{}")]
    [InlineData("\"merges\":null")]
    [InlineData("\"merges\":[1]")]
    [InlineData("\"merges\":[[97]]")]
    [InlineData("\"merges\":[[97,98,99]]")]
    [InlineData("\"merges\":[[\"a\",\"b\"]]")]
    [InlineData("\"merges\":[[97,1.5]]")]
    [InlineData("\"merges\":[[97,-1]]")]
    [InlineData("\"merges\":[[97,256]]")]
    [InlineData("\"merges\":[[97,258]]")]
    [InlineData("\"merges\":[[97,98],[257,259]]")]
    [InlineData("\"merges\":[[97,98],[97,98]]")]
    [InlineData("\"merges\":[[97,3000000000]]")]
    public void FromJson_CorruptMerges_ThrowsFormatException(string merges)
    {
        string json = "{\"type\":\"byte_level\",\"special_tokens\":[\"<a>\"]," + merges + "}";
        FormatException ex = Assert.Throws<FormatException>(() => ByteLevelTokenizer.FromJson(json));
        Assert.Contains("merge", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Constructor_ValidatesTheMerges()
    {
        Assert.Throws<ArgumentException>(() => new ByteLevelTokenizer(["<a>"], [new BytePairMerge(97, 256)]));
        Assert.Throws<ArgumentException>(() => new ByteLevelTokenizer(["<a>"], [new BytePairMerge(257, 97)]));
        var tokenizer = new ByteLevelTokenizer(["<a>"], [new BytePairMerge(97, 98), new BytePairMerge(257, 99)]);
        Assert.Equal([258], tokenizer.EncodeToIds("abc"));
        Assert.Equal("abc", tokenizer.Decode([258]));
        Assert.Equal("abc", Encoding.UTF8.GetString(tokenizer.GetTokenBytes(258)));
    }

    [Fact]
    public void EveryId_Decodes_AndOutOfRangeIdsThrow()
    {
        for (int id = 0; id < Fitted.VocabularySize; id++)
        {
            string text = Fitted.Decode([id]);
            if (Fitted.IsSpecial(id))
            {
                Assert.Equal(ByteLevelTokenizer.DefaultSpecialTokens[id - 256], text);
            }
            else
            {
                Assert.Equal(Encoding.UTF8.GetString(Fitted.GetTokenBytes(id)), text);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => Fitted.Decode([97, Fitted.VocabularySize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fitted.Decode([Fitted.VocabularySize], new char[8], out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fitted.GetTokenBytes(-1));
    }

    [Fact]
    public void DecodeValidPrefix_StopsAtTheFirstIdOutsideTheVocabulary()
    {
        List<int> ids = [.. Fitted.EncodeToIds("<tool_call>{\"name\": \"find_customer\"}"), Fitted.VocabularySize + 3, 97];
        string text = TokenText.DecodeValidPrefix(Fitted, ids, out int decoded);
        Assert.Equal(ids.Count - 2, decoded);
        Assert.Equal("<tool_call>{\"name\": \"find_customer\"}", text);
    }

    [Fact]
    public void Tokens_OfMerges_CarryTheirTextAndOffsets()
    {
        IReadOnlyList<EncodedToken> tokens = Fitted.EncodeToTokens("{\"name\": \"Jon Okafor\"}", out _);
        Assert.True(tokens.Count < 12);
        Assert.Equal("{\"name\": \"Jon Okafor\"}", string.Concat(tokens.Select(t => t.Value)));
        Assert.Equal(0, tokens[0].Offset.Start.Value);
        for (int i = 1; i < tokens.Count; i++)
        {
            Assert.Equal(tokens[i - 1].Offset.End, tokens[i].Offset.Start);
        }
    }
}
