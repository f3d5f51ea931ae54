namespace Agentic.Training.Evaluation;

/// <summary>Figures of an evaluation run: <see cref="Episodes"/> tasks, each run <see cref="K"/> times.</summary>
/// <param name="Suite">Suite name.</param>
/// <param name="Episodes">Number of distinct tasks.</param>
/// <param name="K">Runs per task.</param>
/// <param name="Success">Mean success over all runs (Avg@k).</param>
/// <param name="SuccessLow">Lower end of the 95% Wilson interval of <see cref="Success"/>.</param>
/// <param name="SuccessHigh">Upper end of the 95% Wilson interval of <see cref="Success"/>.</param>
/// <param name="PassAtK">Share of tasks solved in at least one of the k runs.</param>
/// <param name="PassHatK">Share of tasks solved in all k runs (Pass^k).</param>
/// <param name="AverageTurns">Mean assistant turns per run.</param>
/// <param name="ToolErrors">Tool errors, unknown tools and tool timeouts per run.</param>
/// <param name="MalformedOutputs">Malformed model outputs per run.</param>
/// <param name="NoiseEvents">Injected noise events per run.</param>
public sealed record EvaluationReport(
    string Suite, int Episodes, int K, double Success, double SuccessLow, double SuccessHigh,
    double PassAtK, double PassHatK, double AverageTurns, double ToolErrors, double MalformedOutputs, double NoiseEvents)
{
    /// <summary>The 95% Wilson score interval of <paramref name="successes"/> out of <paramref name="trials"/>.</summary>
    public static (double Low, double High) WilsonInterval(double successes, int trials, double z = 1.96)
    {
        if (trials <= 0) return (0, 1);
        double p = successes / trials, z2 = z * z;
        double center = (p + z2 / (2 * trials)) / (1 + z2 / trials);
        double half = z * Math.Sqrt(p * (1 - p) / trials + z2 / (4.0 * trials * trials)) / (1 + z2 / trials);
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
