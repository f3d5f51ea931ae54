namespace Agentic.Rl.Training;

/// <summary>Linear warmup to the peak learning rate, then cosine decay to <c>peak * MinRatio</c> at the last step.</summary>
/// <param name="PeakLearningRate">Learning rate at the end of warmup.</param>
/// <param name="WarmupSteps">Number of warmup steps.</param>
/// <param name="TotalSteps">Total number of steps.</param>
/// <param name="MinRatio">Final learning rate as a fraction of the peak.</param>
public sealed record WarmupCosineSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, double MinRatio = 0.1)
{
    /// <summary>Learning rate for zero-based <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return PeakLearningRate * (step + 1) / WarmupSteps;
        int decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return PeakLearningRate * (MinRatio + (1 - MinRatio) * cosine);
    }
}
