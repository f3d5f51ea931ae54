using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Training;

/// <summary>Options of supervised fine-tuning (masked next-token loss with AdamW).</summary>
public sealed class SftOptions
{
    /// <summary>Sequences per optimizer step.</summary>
    [Range(1, 65536)] public int BatchSize { get; set; } = 64;

    /// <summary>Total optimizer steps (the cosine schedule ends here).</summary>
    [Range(1, int.MaxValue)] public int Steps { get; set; } = 2000;

    /// <summary>Peak learning rate.</summary>
    [Range(1e-8, 1.0)] public double LearningRate { get; set; } = 3e-3;

    /// <summary>Linear warmup steps.</summary>
    [Range(0, int.MaxValue)] public int WarmupSteps { get; set; } = 100;

    /// <summary>Final learning rate as a fraction of the peak.</summary>
    [Range(0.0, 1.0)] public double MinLearningRateRatio { get; set; } = 0.05;

    /// <summary>AdamW decoupled weight decay.</summary>
    [Range(0.0, 1.0)] public double WeightDecay { get; set; } = 0.01;

    /// <summary>AdamW beta1.</summary>
    [Range(0.0, 0.999999)] public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW beta2.</summary>
    [Range(0.0, 0.999999)] public double Beta2 { get; set; } = 0.98;

    /// <summary>Global gradient-norm clip (0 disables clipping).</summary>
    [Range(0.0, double.MaxValue)] public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>Seed of the batch sampler.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>
    /// Draw each batch from examples of similar length (a random window, four batches wide, of the length-sorted set)
    /// instead of uniformly, so less of every batch is padding. Default off.
    /// </summary>
    public bool LengthBucketing { get; set; }

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
