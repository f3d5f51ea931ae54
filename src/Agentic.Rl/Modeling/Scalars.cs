using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>
/// Long-lived <see cref="Scalar"/>s for libtorch calls. TorchSharp turns every number it hands to libtorch, including
/// the implicit <c>alpha = 1</c> of <c>tensor + tensor</c>, into a temporary <see cref="Scalar"/> that nothing keeps
/// alive during the native call, so the GC's finalizer can free it while libtorch still reads it (the symptom:
/// "INTERNAL ASSERT FAILED at Scalar.h" or "Expected false to be true ... toFloat", at random, in long runs; see
/// dotnet/TorchSharp#1434). Hot paths (the forward pass, the losses) use these instead: static, never finalized.
/// </summary>
internal static class Scalars
{
    private static readonly ConcurrentDictionary<double, Scalar> s_doubles = new();

    /// <summary>The integer 0.</summary>
    public static readonly Scalar Zero = 0;

    /// <summary>The integer 1 (valid as <c>alpha</c> for integer and floating tensors).</summary>
    public static readonly Scalar One = 1;

    /// <summary>The integer -1.</summary>
    public static readonly Scalar MinusOne = -1;

    /// <summary>Negative infinity (attention masks).</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity;

    /// <summary>A cached floating-point scalar (the values used are few: epsilons, scaling factors, temperatures, clip bounds).</summary>
    public static Scalar Of(double value) => s_doubles.GetOrAdd(value, v => v);

    /// <summary><c>a + b</c> with a kept-alive alpha.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a - b</c> (TorchSharp's tensor <c>sub</c> passes no scalar; this keeps the call sites uniform).</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b);

    /// <summary><c>a + value</c> with kept-alive scalars.</summary>
    public static Tensor Plus(this Tensor a, double value) => a.add(Of(value), One);

    /// <summary><c>a * value</c> with a kept-alive scalar.</summary>
    public static Tensor Times(this Tensor a, double value) => a.mul(Of(value));

    /// <summary><c>a / value</c> with a kept-alive scalar.</summary>
    public static Tensor DividedBy(this Tensor a, double value) => a.div(Of(value));
}
