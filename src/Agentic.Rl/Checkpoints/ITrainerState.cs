using Agentic.Core.Randomness;
using TorchSharp.Modules;

namespace Agentic.Rl.Checkpoints;

/// <summary>What a checkpoint saves of a trainer: the AdamW moments, the update count, the random stream, the options.</summary>
internal interface ITrainerState
{
    AdamW Optimizer { get; }

    IReadOnlyList<string> ModelParameterNames { get; }

    int StepCount { get; set; }

    DeterministicRandom? Random { get; }

    object Options { get; }
}
