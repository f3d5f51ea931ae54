namespace Agentic.Core.Tests.Sampling;

/// <summary>Straightforward double-precision reference computations the sampler is checked against.</summary>
internal static class SamplingReference
{
    public static double[] LogSoftmax(float[] logits, double temperature)
    {
        double max = logits.Max(l => (double)l);
        double[] z = [.. logits.Select(l => (l - max) / temperature)];
        double logSum = Math.Log(z.Sum(Math.Exp));
        return [.. z.Select(v => v - logSum)];
    }

    public static int Argmax(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Number of tokens ranked before <paramref name="token"/>: larger logit, or equal logit and lower index.</summary>
    public static int Rank(float[] logits, int token) =>
        Enumerable.Range(0, logits.Length).Count(j => logits[j] > logits[token] || (logits[j] == logits[token] && j < token));

    public static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= 1e-5 * Math.Max(1.0, Math.Abs(expected));
}
