using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Training;

/// <summary>Gradient bookkeeping shared by the trainers.</summary>
internal static class Gradients
{
    /// <summary>
    /// Gives every parameter a gradient tensor: a routed expert that received no token this step gets zeros. Without
    /// this, whether AdamW updates such an expert would depend on whether it ever had a gradient in this process,
    /// and a resumed run would diverge from an uninterrupted one.
    /// </summary>
    public static void EnsureAll(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters)
        {
            if (p.grad is null) p.grad = zeros_like(p).DetachFromDisposeScope();
        }
    }

    /// <summary>The global L2 norm of the gradients.</summary>
    public static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        double sum = 0;
        foreach (var p in parameters)
        {
            if (p.grad is { } g) sum += g.pow(2).sum().item<float>();
        }
        return Math.Sqrt(sum);
    }
}
