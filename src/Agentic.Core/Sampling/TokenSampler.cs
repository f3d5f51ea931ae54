using System.Numerics.Tensors;

namespace Agentic.Core.Sampling;

/// <summary>
/// Chooses the next token from a row of logits with temperature, top-k and top-p (nucleus) sampling, and returns the
/// token's log-probability under the untruncated tempered policy.
/// </summary>
/// <remarks>
/// <para>The rules, in order:</para>
/// <list type="number">
/// <item><description>
/// Logits are checked: a NaN, a +∞, an empty row, or a row that is −∞ everywhere throws <see cref="ArgumentException"/>
/// (bad model output is a typed error, never a silent token). Individual −∞ logits (masked tokens) are allowed and are
/// never sampled.
/// </description></item>
/// <item><description>
/// <see cref="SamplingOptions.Temperature"/> = 0 is greedy: the argmax, the lowest index on ties; top-k and top-p are
/// ignored and the generator is not drawn from. The log-probability is <c>log_softmax(logits)[argmax]</c>.
/// </description></item>
/// <item><description>
/// Otherwise the logits are divided by T. Top-k keeps the k largest logits; on ties at the boundary exactly k are kept,
/// lowest indices first. Top-p then keeps, among those, the smallest prefix of tokens in decreasing probability
/// (probabilities renormalized over the top-k set) whose cumulative probability is ≥ TopP; at least one token is kept.
/// One token is drawn from the renormalized kept set with exactly one <see cref="Random.NextDouble"/> call.
/// </description></item>
/// <item><description>
/// <see cref="SampledToken.LogProb"/> is <c>log_softmax(logits / T)[token]</c> over the <b>full</b> vocabulary, before
/// top-k and top-p truncation: the quantity an RL trainer recomputes from the same logits (importance ratios, KL).
/// It is computed in double precision and rounded to float.
/// </description></item>
/// </list>
/// <para>
/// For a given <see cref="Random"/> state (use <see cref="Randomness.DeterministicRandom"/>) the result is deterministic.
/// Work is vectorized with <see cref="TensorPrimitives"/>; top-k costs O(V log k) and top-p sorts only the tokens that
/// can belong to the nucleus. An instance keeps scratch buffers sized to the vocabulary, so steady-state calls do not
/// allocate, and an instance is therefore <b>not thread-safe</b>: use one sampler per thread.
/// </para>
/// </remarks>
public class TokenSampler
{
    private readonly float _temperature;
    private readonly float _topP;
    private readonly int _topK;
    private double[] _weights = [];
    private ulong[] _keys = [];

    /// <summary>Initializes a sampler with the given options.</summary>
    /// <param name="options">The sampling options; validated with <see cref="SamplingOptions.Validate"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="options"/> is invalid.</exception>
    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _temperature = options.Temperature;
        _topP = options.TopP;
        _topK = options.TopK;
    }

    /// <summary>Gets the options this sampler was created with.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Samples one token from a row of logits (see the type remarks for the exact rules).</summary>
    /// <param name="logits">The logits over the vocabulary.</param>
    /// <param name="random">The generator; one <see cref="Random.NextDouble"/> draw when Temperature &gt; 0, none when greedy.</param>
    /// <returns>The token and its log-probability under the full tempered distribution.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="random"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is empty, contains NaN or +∞, or is −∞ everywhere.</exception>
    public SampledToken Sample(ReadOnlySpan<float> logits, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        float max = CheckLogits(logits);

        if (_temperature == 0f)
        {
            int argmax = FirstIndexOf(logits, max);
            double logZ = Math.Log(ComputeWeights(logits, max, 1.0));
            return new SampledToken(argmax, (float)(-logZ));
        }

        double temperature = _temperature;
        double sum = ComputeWeights(logits, max, temperature);
        int token = Draw(logits, sum, random);
        double logProb = ((logits[token] - (double)max) / temperature) - Math.Log(sum);
        return new SampledToken(token, (float)logProb);
    }

    /// <summary>Samples one token per row of a row-major [batch, vocabulary] block of logits, rows in order.</summary>
    /// <param name="logits">The logits, <c>results.Length * vocabSize</c> values.</param>
    /// <param name="vocabSize">The row length.</param>
    /// <param name="results">Receives one token per row.</param>
    /// <param name="random">The generator, drawn from row by row as in <see cref="Sample"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="random"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="logits"/> does not hold <c>results.Length * vocabSize</c> values, or a row is invalid (the
    /// message names the row; earlier rows have already been written).
    /// </exception>
    public void SampleBatch(ReadOnlySpan<float> logits, int vocabSize, Span<SampledToken> results, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        if ((long)results.Length * vocabSize != logits.Length)
        {
            throw new ArgumentException(
                $"Expected {results.Length} rows of {vocabSize} logits ({(long)results.Length * vocabSize} values) but got {logits.Length}.",
                nameof(logits));
        }

        for (int row = 0; row < results.Length; row++)
        {
            ReadOnlySpan<float> rowLogits = logits.Slice(row * vocabSize, vocabSize);
            try
            {
                results[row] = Sample(rowLogits, random);
            }
            catch (ArgumentException ex) when (ex.ParamName == nameof(logits))
            {
                throw new ArgumentException($"Row {row}: {ex.Message}", nameof(logits), ex);
            }
        }
    }

    /// <summary>Returns the max logit after rejecting empty rows, NaN, +∞ and rows that are −∞ everywhere.</summary>
    private static float CheckLogits(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("Logits are empty; expected one value per vocabulary entry.", nameof(logits));
        }

        float max = TensorPrimitives.Max(logits); // NaN if any value is NaN.
        if (float.IsNaN(max))
        {
            int i = 0;
            while (!float.IsNaN(logits[i]))
            {
                i++;
            }

            throw new ArgumentException($"Logits contain NaN (first at index {i}); the model produced invalid output.", nameof(logits));
        }

        if (float.IsPositiveInfinity(max))
        {
            throw new ArgumentException($"Logits contain +infinity (first at index {FirstIndexOf(logits, max)}); the model produced invalid output.", nameof(logits));
        }

        if (float.IsNegativeInfinity(max))
        {
            throw new ArgumentException("Every logit is -infinity; no token can be sampled.", nameof(logits));
        }

        return max;
    }

    /// <summary>Fills the weight buffer with exp((logits - max) / t) in double precision and returns their sum (≥ 1).</summary>
    private double ComputeWeights(ReadOnlySpan<float> logits, float max, double temperature)
    {
        if (_weights.Length < logits.Length)
        {
            _weights = new double[logits.Length];
        }

        Span<double> w = _weights.AsSpan(0, logits.Length);
        TensorPrimitives.ConvertChecked<float, double>(logits, w);
        TensorPrimitives.Subtract(w, (double)max, w);
        if (temperature != 1.0)
        {
            TensorPrimitives.Divide(w, temperature, w);
        }

        TensorPrimitives.Exp(w, w);
        return TensorPrimitives.Sum<double>(w);
    }

    private int Draw(ReadOnlySpan<float> logits, double sum, Random random)
    {
        int vocab = logits.Length;
        ReadOnlySpan<double> w = _weights.AsSpan(0, vocab);
        bool topK = _topK > 0 && _topK < vocab;
        bool topP = _topP < 1f;

        if (!topK && !topP)
        {
            return DrawFromAll(w, sum, random);
        }

        if (_keys.Length < vocab)
        {
            _keys = new ulong[vocab];
        }

        Span<ulong> candidates;
        double baseMass;
        if (topK)
        {
            candidates = SelectTopK(logits, _keys.AsSpan(0, _topK));
            baseMass = 0;
            foreach (ulong key in candidates)
            {
                baseMass += w[IndexOf(key)];
            }
        }
        else
        {
            // Tokens lighter than (1 - p) * sum / V weigh less than (1 - p) * sum together, so the nucleus lies among
            // the heavier ones: only those are sorted. They form a prefix of the full order because exp is monotone.
            double threshold = (1.0 - _topP) * sum / vocab;
            int count = 0;
            for (int i = 0; i < vocab; i++)
            {
                if (w[i] >= threshold)
                {
                    _keys[count++] = SortKey(logits[i], i);
                }
            }

            candidates = _keys.AsSpan(0, count);
            baseMass = sum;
        }

        candidates.Sort(); // Ascending key = decreasing logit, then increasing index.

        int kept = candidates.Length;
        double keptMass = 0;
        if (topP)
        {
            double target = _topP * baseMass;
            for (int j = 0; j < candidates.Length; j++)
            {
                keptMass += w[IndexOf(candidates[j])];
                if (keptMass >= target)
                {
                    kept = j + 1;
                    break;
                }
            }

            // If rounding kept the target out of reach, every candidate is kept (kept == candidates.Length).
        }
        else
        {
            keptMass = baseMass;
        }

        double u = random.NextDouble() * keptMass;
        double cumulative = 0;
        int last = -1;
        for (int j = 0; j < kept; j++)
        {
            int index = IndexOf(candidates[j]);
            double weight = w[index];
            if (weight > 0)
            {
                cumulative += weight;
                last = index;
                if (u < cumulative)
                {
                    return index;
                }
            }
        }

        return last; // Only reached through rounding; the top candidate has weight 1, so last >= 0.
    }

    private static int DrawFromAll(ReadOnlySpan<double> w, double sum, Random random)
    {
        double u = random.NextDouble() * sum;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < w.Length; i++)
        {
            double weight = w[i];
            if (weight > 0)
            {
                cumulative += weight;
                last = i;
                if (u < cumulative)
                {
                    return i;
                }
            }
        }

        return last; // Only reached through rounding of the vectorized sum.
    }

    /// <summary>Fills <paramref name="heap"/> with the keys of the k best tokens (unordered) using a bounded max-heap.</summary>
    private static Span<ulong> SelectTopK(ReadOnlySpan<float> logits, Span<ulong> heap)
    {
        int k = heap.Length;
        for (int i = 0; i < k; i++)
        {
            heap[i] = SortKey(logits[i], i);
            SiftUp(heap, i);
        }

        for (int i = k; i < logits.Length; i++)
        {
            ulong key = SortKey(logits[i], i);
            if (key < heap[0])
            {
                heap[0] = key;
                SiftDown(heap);
            }
        }

        return heap;
    }

    private static void SiftUp(Span<ulong> heap, int i)
    {
        ulong item = heap[i];
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] >= item)
            {
                break;
            }

            heap[i] = heap[parent];
            i = parent;
        }

        heap[i] = item;
    }

    private static void SiftDown(Span<ulong> heap)
    {
        ulong item = heap[0];
        int i = 0;
        int n = heap.Length;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && heap[child + 1] > heap[child])
            {
                child++;
            }

            if (heap[child] <= item)
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        heap[i] = item;
    }

    /// <summary>
    /// A unique key whose ascending order is decreasing logit, then increasing index: the high word is the logit mapped
    /// to an order-preserving integer and inverted, the low word is the index. −0 is folded into +0 so they tie.
    /// </summary>
    private static ulong SortKey(float logit, int index)
    {
        if (logit == 0f)
        {
            logit = 0f;
        }

        uint bits = BitConverter.SingleToUInt32Bits(logit);
        uint ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ordered << 32) | (uint)index;
    }

    /// <summary>The lowest index whose value equals <paramref name="value"/> under IEEE equality (so −0 ties with +0).</summary>
    private static int FirstIndexOf(ReadOnlySpan<float> values, float value)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static int IndexOf(ulong key) => (int)(uint)key;
}
