using Agentic.Core.Randomness;
using Agentic.Core.Sampling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Agentic.Core.Tests.Sampling.SamplingReference;

namespace Agentic.Core.Tests.Sampling;

[Properties(Replay = "(5217390436112909,2704184811)", MaxTest = 300)]
public class TokenSamplerTests
{
    /// <summary>Logit rows with ties, signed zeros and masked (−∞) entries, always with one finite value.</summary>
    public static class Generators
    {
        public static Arbitrary<float[]> Logits()
        {
            Gen<float> continuous = Gen.Choose(-1000, 1000).Select(i => i / 100f);
            Gen<float> special = Gen.Elements(0f, -0f, 1f, -1f, 2.5f, float.NegativeInfinity);
            Gen<float> value = Gen.Frequency((4, continuous), (1, special));
            Gen<float[]> row = Gen.Choose(1, 40).SelectMany(n => value.ArrayOf(n));
            return row.Where(r => r.Any(float.IsFinite)).ToArbitrary();
        }
    }

    private static float ToTemperature(int raw) => 0.1f + (Math.Abs(raw % 300) / 100f); // (0.1, 3.1)

    [Property(Arbitrary = [typeof(Generators)])]
    public bool TemperatureZeroIsGreedy(float[] logits, ulong seed)
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0 });
        SampledToken token = sampler.Sample(logits, new DeterministicRandom(seed));
        return token.TokenId == Argmax(logits) && Close(token.LogProb, LogSoftmax(logits, 1)[token.TokenId]);
    }

    [Property(Arbitrary = [typeof(Generators)])]
    public bool TopKNeverEmitsATokenOutsideTheKLargest(float[] logits, int rawK, int rawT, ulong seed)
    {
        int k = 1 + Math.Abs(rawK % logits.Length);
        var sampler = new TokenSampler(new SamplingOptions { Temperature = ToTemperature(rawT), TopK = k });
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < 10; i++)
        {
            int token = sampler.Sample(logits, random).TokenId;
            if (Rank(logits, token) >= k || float.IsNegativeInfinity(logits[token]))
            {
                return false;
            }
        }

        return true;
    }

    [Property(Arbitrary = [typeof(Generators)])]
    public bool TopPNeverEmitsATokenOutsideTheNucleus(float[] logits, int rawP, int rawT, ulong seed)
    {
        float p = (1 + Math.Abs(rawP % 100)) / 100f; // (0, 1]
        float t = ToTemperature(rawT);
        var sampler = new TokenSampler(new SamplingOptions { Temperature = t, TopP = p });
        double[] probs = [.. LogSoftmax(logits, t).Select(Math.Exp)];
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < 10; i++)
        {
            int token = sampler.Sample(logits, random).TokenId;
            int rank = Rank(logits, token);

            // The nucleus stops at the first token where the cumulative mass reaches p, so the mass ranked before an
            // emitted token must still be below p.
            double massBefore = Enumerable.Range(0, logits.Length).Where(j => Rank(logits, j) < rank).Sum(j => probs[j]);
            if (massBefore >= p + 1e-6 || probs[token] == 0)
            {
                return false;
            }
        }

        return true;
    }

    [Property(Arbitrary = [typeof(Generators)])]
    public bool LogProbIsTheUntruncatedTemperedLogSoftmax(float[] logits, int rawT, int rawK, int rawP, ulong seed)
    {
        float t = ToTemperature(rawT);
        var sampler = new TokenSampler(new SamplingOptions
        {
            Temperature = t,
            TopK = Math.Abs(rawK % (logits.Length + 1)),
            TopP = (1 + Math.Abs(rawP % 100)) / 100f,
        });
        double[] reference = LogSoftmax(logits, t);
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < 5; i++)
        {
            SampledToken token = sampler.Sample(logits, random);
            if (!Close(token.LogProb, reference[token.TokenId]))
            {
                return false;
            }
        }

        return true;
    }

    [Property(Arbitrary = [typeof(Generators)])]
    public bool FixedSeedIsDeterministic(float[] logits, int rawT, int rawK, int rawP, ulong seed)
    {
        var options = new SamplingOptions
        {
            Temperature = ToTemperature(rawT),
            TopK = Math.Abs(rawK % (logits.Length + 1)),
            TopP = (1 + Math.Abs(rawP % 100)) / 100f,
        };
        var a = new TokenSampler(options);
        var b = new TokenSampler(options);
        var ra = new DeterministicRandom(seed);
        var rb = new DeterministicRandom(seed);
        for (int i = 0; i < 10; i++)
        {
            if (a.Sample(logits, ra) != b.Sample(logits, rb))
            {
                return false;
            }
        }

        return ra.GetState() == rb.GetState();
    }

    [Fact]
    public void EmpiricalFrequenciesMatchSoftmax()
    {
        float[] logits = [0f, 1f, 2f, 0.5f, -1f, float.NegativeInfinity];
        double[] expected = [.. LogSoftmax(logits, 0.8).Select(Math.Exp)];
        double[] frequencies = Frequencies(new SamplingOptions { Temperature = 0.8f }, logits);
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.InRange(frequencies[i], expected[i] - 0.01, expected[i] + 0.01);
        }
    }

    [Fact]
    public void EmpiricalFrequenciesMatchRenormalizedTopKAndTopP()
    {
        float[] logits = [0f, 1f, 2f, 0.5f, -1f];

        // Top-k 3 keeps {2, 1, 3}; renormalized probabilities are softmax over those.
        double[] kept = [Math.Exp(1), Math.Exp(2), Math.Exp(0.5)];
        double z = kept.Sum();
        double[] topK = Frequencies(new SamplingOptions { TopK = 3 }, logits);
        Assert.InRange(topK[1], (kept[0] / z) - 0.01, (kept[0] / z) + 0.01);
        Assert.InRange(topK[2], (kept[1] / z) - 0.01, (kept[1] / z) + 0.01);
        Assert.InRange(topK[3], (kept[2] / z) - 0.01, (kept[2] / z) + 0.01);
        Assert.Equal(0, topK[0] + topK[4]);

        // Softmax is about [0.076, 0.207, 0.563, 0.126, 0.028]: top-p 0.75 keeps tokens 2 and 1 (0.770).
        double[] topP = Frequencies(new SamplingOptions { TopP = 0.75f }, logits);
        double p2 = Math.Exp(2) / (Math.Exp(2) + Math.Exp(1));
        Assert.InRange(topP[2], p2 - 0.01, p2 + 0.01);
        Assert.InRange(topP[1], 1 - p2 - 0.01, 1 - p2 + 0.01);
        Assert.Equal(0, topP[0] + topP[3] + topP[4]);
    }

    private static double[] Frequencies(SamplingOptions options, float[] logits)
    {
        const int Draws = 50_000;
        var sampler = new TokenSampler(options);
        var random = new DeterministicRandom(12345);
        double[] counts = new double[logits.Length];
        for (int i = 0; i < Draws; i++)
        {
            counts[sampler.Sample(logits, random).TokenId]++;
        }

        return [.. counts.Select(c => c / Draws)];
    }

    [Fact]
    public void TopKTiesAtTheBoundaryKeepTheLowestIndices()
    {
        float[] logits = [1f, 3f, 1f, 1f, 3f];
        var sampler = new TokenSampler(new SamplingOptions { TopK = 3, Temperature = 1 });
        var random = new DeterministicRandom(1);
        var seen = new HashSet<int>();
        for (int i = 0; i < 2000; i++)
        {
            seen.Add(sampler.Sample(logits, random).TokenId);
        }

        Assert.Equal([0, 1, 4], seen.Order());
    }

    [Fact]
    public void GreedyTiesPickTheLowestIndexAndDoNotDraw()
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0 });
        var random = new DeterministicRandom(1);
        RandomState before = random.GetState();
        Assert.Equal(0, sampler.Sample([-0f, 0f, 0f], random).TokenId);
        Assert.Equal(1, sampler.Sample([float.NegativeInfinity, -0f, 0f], random).TokenId);
        Assert.Equal(2, sampler.Sample([1f, 2f, 5f, 5f], random).TokenId);
        Assert.Equal(before, random.GetState());
    }

    [Fact]
    public void OneDrawPerSampledToken()
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0.7f, TopK = 2, TopP = 0.9f });
        var random = new DeterministicRandom(8);
        var reference = new DeterministicRandom(8);
        sampler.Sample([0.1f, 0.2f, 0.3f], random);
        reference.NextDouble();
        Assert.Equal(reference.GetState(), random.GetState());
    }

    [Theory]
    [InlineData(new[] { 0f, float.NaN, 1f })]
    [InlineData(new[] { float.NegativeInfinity, float.NegativeInfinity })]
    [InlineData(new[] { 0f, float.PositiveInfinity })]
    [InlineData(new float[0])]
    public void InvalidLogitsThrowArgumentException(float[] logits)
    {
        foreach (float t in new[] { 0f, 1f })
        {
            var sampler = new TokenSampler(new SamplingOptions { Temperature = t });
            ArgumentException ex = Assert.Throws<ArgumentException>(() => sampler.Sample(logits, new DeterministicRandom(1)));
            Assert.Equal("logits", ex.ParamName);
        }
    }

    [Fact]
    public void SampleBatchMatchesRowByRowSampling()
    {
        const int Vocab = 7, Batch = 5;
        var source = new DeterministicRandom(77);
        float[] logits = [.. Enumerable.Range(0, Vocab * Batch).Select(_ => (float)(source.NextDouble() * 6) - 3)];
        var options = new SamplingOptions { Temperature = 0.9f, TopK = 4, TopP = 0.95f };

        var results = new SampledToken[Batch];
        new TokenSampler(options).SampleBatch(logits, Vocab, results, new DeterministicRandom(3));

        var sampler = new TokenSampler(options);
        var random = new DeterministicRandom(3);
        for (int row = 0; row < Batch; row++)
        {
            Assert.Equal(sampler.Sample(logits.AsSpan(row * Vocab, Vocab), random), results[row]);
        }

        Assert.Throws<ArgumentException>(() => sampler.SampleBatch(logits, Vocab + 1, results, random));
        logits[(2 * Vocab) + 1] = float.NaN;
        ArgumentException ex = Assert.Throws<ArgumentException>(() => sampler.SampleBatch(logits, Vocab, results, random));
        Assert.Contains("Row 2", ex.Message);
    }

    [Fact]
    public void LargeVocabularyTopPSamplesFromTheHead()
    {
        const int Vocab = 50_000;
        float[] logits = new float[Vocab];
        var source = new DeterministicRandom(11);
        for (int i = 0; i < Vocab; i++)
        {
            logits[i] = (float)(source.NextDouble() * 4);
        }

        logits[123] = 30f;
        var sampler = new TokenSampler(new SamplingOptions { TopP = 0.5f });
        SampledToken token = sampler.Sample(logits, new DeterministicRandom(1));
        Assert.Equal(123, token.TokenId);
        Assert.True(Close(token.LogProb, LogSoftmax(logits, 1)[123]));
    }
}
